"""Application views of an autoencoder, headless: traversal and latent arithmetic,
denoising (beside classic denoisers), inpainting, anomaly ranking and retrieval. The GUI panels and `latent-atlas` commands call these.

Every function takes a `latent_atlas.models.networks.Autoencoder` and uint8 images N x C x H x W (as
the data sources give them), validates its input and raises `ApplicationError` (a
ValueError) with one readable line. Torch loads only when a function runs.
"""

from latent_atlas.explorer.core.analysis.applications.anomaly import (
    AnomalyRanking,
    rank_anomalies,
    reconstruction_error_iter,
    reconstruction_errors,
    worst_k,
)
from latent_atlas.explorer.core.analysis.applications.arithmetic import (
    Direction,
    DirectionRow,
    Group,
    add_direction,
    attribute_direction,
    attribute_groups,
    parse_direction,
)
from latent_atlas.explorer.core.analysis.applications.baselines import (
    BASELINES,
    median_denoise,
    nl_means_denoise,
    ssim,
)
from latent_atlas.explorer.core.analysis.applications.common import ApplicationError
from latent_atlas.explorer.core.analysis.applications.denoise import (
    NOISE_KINDS,
    DenoiseResult,
    add_noise,
    classic_denoise,
    denoise,
    mse,
    psnr,
)
from latent_atlas.explorer.core.analysis.applications.denoise_sweep import (
    SweepResult,
    denoise_sweep,
)
from latent_atlas.explorer.core.analysis.applications.inpaint import (
    InpaintResult,
    inpaint,
    masked_mse,
    mean_fill,
    rectangle_mask,
)
from latent_atlas.explorer.core.analysis.applications.retrieval import (
    Neighbours,
    nearest_codes,
    retrieve_at_point,
    retrieve_image,
    retrieve_sample,
)
from latent_atlas.explorer.core.analysis.applications.traversal import (
    Traversal,
    dims_by_kl,
    kl_per_dim,
    latent_traversal,
    traversal_for,
    traversal_scale,
)

__all__ = [
    "BASELINES", "Direction", "DirectionRow", "Group", "SweepResult", "add_direction",
    "attribute_direction", "attribute_groups", "classic_denoise", "denoise_sweep",
    "median_denoise", "nl_means_denoise", "parse_direction", "ssim",
    "AnomalyRanking", "ApplicationError", "DenoiseResult", "InpaintResult", "NOISE_KINDS",
    "Neighbours", "Traversal", "add_noise", "denoise", "dims_by_kl", "inpaint", "kl_per_dim",
    "latent_traversal", "masked_mse", "mean_fill", "mse", "nearest_codes", "psnr",
    "rank_anomalies", "reconstruction_error_iter", "reconstruction_errors", "rectangle_mask",
    "retrieve_at_point", "retrieve_image", "retrieve_sample", "traversal_for", "traversal_scale",
    "worst_k",
]
