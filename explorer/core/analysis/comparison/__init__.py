"""AE against VAE, measured: the continuity metrics, their paired tests, the tables and the
sentences under them, the seeds and the β sweep, and the alignment of two maps."""
