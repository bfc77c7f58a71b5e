"""The course's claims, tested on the user's data: the autoencoder as a codec against JPEG,
codes as features (the probe), the checkerboard of upsampling, and the manifold grid."""
