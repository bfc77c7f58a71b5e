"""Files in and out: image import, picture exports, image compositing, saving a model
with its map."""
