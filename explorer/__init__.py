"""Latent Atlas: look inside autoencoders."""

__version__ = "0.1.0"
