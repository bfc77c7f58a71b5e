"""The autoencoder family, losses, trainer and model files. PyTorch only: no Qt, no explorer.

Kept import-light on purpose: `latent_atlas.models.modelfile` reads a model file's metadata and arrays
with numpy alone, so the GUI can paint a stored map before torch is imported.
"""
