"""Headless core of Latent Atlas: data sources, latent maps, metrics. Never imports Qt."""
