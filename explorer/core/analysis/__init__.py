"""What the models do, measured: gap scores, metrics, the AE/VAE comparison, prior
samples, colourings of the map, and the application views (retrieval, denoising, ...)."""
