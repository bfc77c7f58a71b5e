"""Where a latent space has holes: the gap score, its two judges, the held-out images
that set their bars, the samplers of a latent space, and the decodes they judge."""
