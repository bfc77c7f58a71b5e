"""The latent space and its map: projections to 2-D, the map's inverse and placement,
and paths between codes. numpy only at import; scipy, scikit-learn and umap load lazily."""
