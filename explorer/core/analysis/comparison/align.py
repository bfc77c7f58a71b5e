"""Align one latent map onto another, so the same sample sits in the same place in both.

    aligned = align_maps(vae_map, ae_map)      # VAE map moved onto the AE map's frame
    aligned.positions                          # the VAE positions, rotated/scaled/shifted
    aligned.inverse(xy)                        # still the VAE code at that spot (exact)
    aligned.transform.apply(xy) / .inverse()   # the similarity transform both ways
    aligned = drain(build_aligned_map(vae_codes, ae_map))    # UMAP laid out from the AE
                                                             # map's positions, then aligned

Orthogonal Procrustes with scale and translation (Schönemann 1966; the same fit as
`scipy.spatial.procrustes`, which however standardises both inputs and returns no
transform that could map new points): find the rotation (or reflection) R, scale s and
shift t minimising sum_i |s * a_i R + t - b_i|^2 over the shared samples. Reflections are
allowed by default because UMAP or PCA can lay out the same structure mirrored.

A similarity transform keeps the map's geometry (angles, relative distances), so the
aligned map is a `LatentMap` in its own right: its inverse is the triangulation of its
own positions (a Delaunay triangulation is unchanged by a similarity transform), so it is
exact at the data points by the same construction as any map; its placement applies the
transform after the original map's placement.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from latent_atlas.explorer.core.latent.inverse import _as_points
from latent_atlas.explorer.core.latent.map import (
    LatentMap,
    MapLike,
    MapProgress,
    build_map,
    fit_projection,
)


@dataclass(frozen=True)
class SimilarityTransform:
    """x -> scale * x @ rotation + translation, for row vectors x (2,) or (M, 2).

    `rotation` is orthogonal (det -1 when the fit mirrored the map).
    """

    rotation: np.ndarray
    scale: float
    translation: np.ndarray

    def __post_init__(self) -> None:
        r = np.asarray(self.rotation, dtype=np.float64)
        t = np.asarray(self.translation, dtype=np.float64).reshape(-1)
        if r.shape != (2, 2) or t.shape != (2,):
            raise ValueError("a 2-D similarity transform needs a 2 x 2 rotation and a shift of 2")
        if not (np.isfinite(r).all() and np.isfinite(t).all() and np.isfinite(self.scale)
                and self.scale > 0):
            raise ValueError("a similarity transform needs finite values and a scale > 0")
        if not np.allclose(r @ r.T, np.eye(2), atol=1e-6):
            raise ValueError("the rotation of a similarity transform must be orthogonal")
        object.__setattr__(self, "rotation", r)
        object.__setattr__(self, "translation", t)
        object.__setattr__(self, "scale", float(self.scale))

    @classmethod
    def identity(cls) -> SimilarityTransform:
        return cls(np.eye(2), 1.0, np.zeros(2))

    @property
    def reflects(self) -> bool:
        return bool(np.linalg.det(self.rotation) < 0)

    def apply(self, xy: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """Transform point(s): (2,) -> (2,), (M, 2) -> (M, 2), float64."""
        p, single = _as_points(xy)
        out = self.scale * (p @ self.rotation) + self.translation
        return out[0] if single else out

    def inverse(self) -> SimilarityTransform:
        """The transform that undoes this one."""
        r_inv = self.rotation.T
        return SimilarityTransform(r_inv, 1.0 / self.scale,
                                   -(self.translation @ r_inv) / self.scale)

    def inverse_apply(self, xy: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """Undo the transform on point(s) (same shapes as `apply`)."""
        p, single = _as_points(xy)
        out = ((p - self.translation) @ self.rotation.T) / self.scale
        return out[0] if single else out

    def to_dict(self) -> dict[str, Any]:
        return {"rotation": self.rotation.tolist(), "scale": self.scale,
                "translation": self.translation.tolist()}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SimilarityTransform:
        try:
            return cls(np.asarray(d["rotation"]), float(d["scale"]), np.asarray(d["translation"]))
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not a similarity transform: {exc}") from None


def fit_similarity(source: np.ndarray, target: np.ndarray, *, allow_reflection: bool = True
                   ) -> SimilarityTransform:
    """The similarity transform taking `source` points (N x 2) closest to `target` (N x 2)
    in the least-squares sense (orthogonal Procrustes with scale and translation)."""
    a = np.asarray(source, dtype=np.float64)
    b = np.asarray(target, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 2 or a.shape[1] != 2:
        raise ValueError(f"alignment needs two N x 2 arrays of matching points, not {a.shape} "
                         f"and {b.shape}")
    if len(a) < 2:
        raise ValueError("alignment needs at least 2 shared samples")
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise ValueError("positions to align must be finite")
    mean_a, mean_b = a.mean(axis=0), b.mean(axis=0)
    a0, b0 = a - mean_a, b - mean_b
    norm_a = float(np.einsum("ij,ij->", a0, a0))
    if norm_a <= 0.0:
        raise ValueError("cannot align a map whose shared samples all sit on one point")
    u, s, vt = np.linalg.svd(a0.T @ b0)
    if not allow_reflection and np.linalg.det(u @ vt) < 0:
        u[:, -1] *= -1  # the best proper rotation flips the weakest axis
        s = s.copy()
        s[-1] *= -1
    rotation = u @ vt
    scale = float(s.sum() / norm_a)
    if scale <= 0.0:  # target collapsed to a point: keep the size, match the centre
        scale = 1.0
    return SimilarityTransform(rotation, scale, mean_b - scale * (mean_a @ rotation))


def alignment_error(a: np.ndarray, b: np.ndarray) -> float:
    """RMS distance between matching positions, relative to the RMS spread of `b`
    (0 = identical; about 1.4 for two unrelated layouts of the same spread)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    spread = np.sqrt(((b - b.mean(axis=0)) ** 2).sum(axis=1).mean())
    rms = np.sqrt(((a - b) ** 2).sum(axis=1).mean())
    return float(rms / spread) if spread > 0 else float(rms)


@dataclass
class AlignedMap(LatentMap):
    """A map moved by a similarity `transform` onto another map's frame.

    `positions` are `transform.apply(base.positions)`; `inverse` is exact at them;
    `place(z)` is `transform.apply(base.place(z))`. Stored files keep the `base` map
    (the alignment is recomputed from two maps in a millisecond).
    """

    base: MapLike | None = field(default=None, repr=False, compare=False)
    transform: SimilarityTransform = field(default_factory=SimilarityTransform.identity)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.base is None:
            raise ValueError("an aligned map needs the map it was moved from; use aligned_map()")

    def inverse(self, xy: npt.ArrayLike) -> npt.NDArray[np.float32]:
        if self.method == "identity":
            # A 2-D latent shown as itself: undo the transform, then it is the code.
            p, single = _as_points(xy)
            z = self.transform.inverse_apply(p).astype(np.float32)
            return z[0] if single else z
        return super().inverse(xy)

    def unaligned(self) -> MapLike:
        assert self.base is not None  # __post_init__ refuses an aligned map without one
        return self.base

    def place(self, z: npt.ArrayLike) -> npt.NDArray[np.float32]:
        assert self.base is not None  # __post_init__ refuses an aligned map without one
        base_xy = self.base.place(z)
        return self.transform.apply(base_xy).astype(np.float32)

    def to_file_parts(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        assert self.base is not None  # __post_init__ refuses an aligned map without one
        return self.base.to_file_parts()


def aligned_map(latent_map: MapLike, transform: SimilarityTransform) -> AlignedMap:
    """`latent_map` moved by `transform` (an `AlignedMap` is re-based on its base map)."""
    if isinstance(latent_map, AlignedMap):
        assert latent_map.base is not None  # __post_init__ refuses an aligned map without one
        inner = latent_map.transform
        combined = SimilarityTransform(inner.rotation @ transform.rotation,
                                       inner.scale * transform.scale,
                                       transform.apply(inner.translation))
        return aligned_map(latent_map.base, combined)
    positions = transform.apply(latent_map.positions).astype(np.float32)
    params = {**latent_map.params, "aligned": transform.to_dict()}
    return AlignedMap(method=latent_map.method, codes=latent_map.codes, positions=positions,
                      params=params, extra=dict(latent_map.extra), base=latent_map,
                      transform=transform)


def _shared_indices(moving: MapLike, reference: MapLike,
                    shared: tuple[npt.ArrayLike, npt.ArrayLike] | None
                    ) -> tuple[np.ndarray, np.ndarray]:
    if shared is None:
        if moving.n_points != reference.n_points:
            raise ValueError(f"the maps have {moving.n_points} and {reference.n_points} points; "
                             "give the shared samples' indices to align them")
        idx = np.arange(moving.n_points)
        return idx, idx
    i_mov, i_ref = (np.asarray(v, dtype=np.int64).reshape(-1) for v in shared)
    if len(i_mov) != len(i_ref):
        raise ValueError("shared sample index lists must have the same length")
    if len(i_mov) and (i_mov.min() < 0 or i_mov.max() >= moving.n_points
                       or i_ref.min() < 0 or i_ref.max() >= reference.n_points):
        raise ValueError("a shared sample index is outside one of the maps")
    return i_mov, i_ref


def align_maps(moving: MapLike, reference: MapLike, *,
               shared: tuple[npt.ArrayLike, npt.ArrayLike] | None = None,
               allow_reflection: bool = True) -> AlignedMap:
    """`moving` aligned onto `reference` by Procrustes over their shared samples.

    By default the maps show the same samples in the same order (two models encoding one
    data set); otherwise `shared = (indices in moving, indices in reference)` pairs them.
    The result carries `.transform` (moving frame -> reference frame) and
    `.params["alignment_error"]` (see `alignment_error`, after alignment).
    """
    i_mov, i_ref = _shared_indices(moving, reference, shared)
    src = moving.positions[i_mov]
    dst = reference.positions[i_ref]
    transform = fit_similarity(src, dst, allow_reflection=allow_reflection)
    out = aligned_map(moving, transform)
    out.params["alignment_error"] = round(alignment_error(out.positions[i_mov], dst), 6)
    return out


def build_aligned_map(codes: np.ndarray, reference: MapLike, *, seed: int = 0,
                      reproducible: bool = False, cancel: Any = None
                      ) -> Generator[MapProgress, None, AlignedMap]:
    """Fit a map of `codes` (the same samples, in the same order, as `reference`) that is
    laid out like `reference`, then Procrustes-align it onto `reference`.

    Two UMAP fits of two models' codes place the clusters independently (on the bundled
    digits pair, Procrustes alone leaves a relative alignment error of 0.72). Starting
    the second UMAP layout from the reference map's positions, as AlignedUMAP does for
    its slices, keeps corresponding samples together (error 0.23) at the cost of one
    ordinary fit. PCA and identity maps are fitted as usual and aligned.
    """
    from latent_atlas.explorer.core.latent.projection import check_fit_codes
    from latent_atlas.explorer.core.latent.umap_projection import UMAPProjection

    codes = check_fit_codes(codes)
    if len(codes) != reference.n_points:
        raise ValueError(f"{len(codes)} codes cannot be laid out like a map of "
                         f"{reference.n_points} samples; encode the same data")
    if reference.method != "umap":
        fitted = yield from build_map(codes, reference.method, seed=seed,
                                      reproducible=reproducible, cancel=cancel)
        return align_maps(fitted, reference)
    proj = UMAPProjection(seed=seed, reproducible=reproducible,
                          init=reference.positions.astype(np.float64))
    seconds = yield from fit_projection(proj, codes, cancel)
    params = {**proj.params(), "init": "reference map", "fit_seconds": seconds}
    yield MapProgress("inverse", 0.97, "aligning the map")
    fitted = LatentMap(method="umap", codes=codes, positions=proj.embedding_, params=params,
                       extra=proj.stored_extra())
    aligned = align_maps(fitted, reference)
    aligned.prepare()
    yield MapProgress("done", 1.0, f"aligned umap map of {len(codes)} codes ready")
    return aligned


JOINT_REGULARISATION = 0.1  # AlignedUMAP's pull between a sample's two positions


def build_joint_maps(left_codes: np.ndarray, right_codes: np.ndarray, *, seed: int = 0,
                     regularisation: float = JOINT_REGULARISATION, n_epochs: int = 200
                     ) -> Generator[MapProgress, None, tuple[LatentMap, AlignedMap]]:
    """UMAP maps of two models' codes of the same samples (same order), fitted together by
    umap-learn's AlignedUMAP: each map keeps its own neighbourhoods while a penalty
    (`regularisation`) pulls every sample's two positions together. Returns the left map
    and the right map Procrustes-aligned onto it.

    On the bundled digits pair this reached a relative alignment error of 0.061 (0.32 for
    two independent fits after Procrustes, 0.21-0.23 for a fit laid out from the other
    map's positions) and kept trustworthiness within 0.002 of the separate fits; on the
    10,000-point MNIST pair the error fell from 0.45 to 0.16 but the VAE map's
    trustworthiness fell from 0.978 to 0.950 (docs/metrics.md, Map alignment): a trade,
    so it is the user's choice. It moves both maps. umap-learn's fit cannot be
    interrupted: run it in a child process to cancel it.
    """
    from latent_atlas.explorer.core.latent.projection import check_fit_codes
    from latent_atlas.explorer.core.latent.umap_runtime import configure_numba_cache

    left, right = check_fit_codes(left_codes), check_fit_codes(right_codes)
    if len(left) != len(right):
        raise ValueError(f"{len(left)} and {len(right)} codes: fitting two maps together "
                         "needs the same samples in both")
    if len(left) < 10:
        raise ValueError(f"{len(left)} samples are too few to fit two UMAP maps together; "
                         "at least 10 are needed")
    if not regularisation > 0:
        raise ValueError(f"the alignment regularisation must be above 0, not {regularisation}")
    yield MapProgress("fit", 0.05, f"fitting two UMAP maps of {len(left):,} codes together")
    configure_numba_cache()
    import time

    import umap

    start = time.perf_counter()
    model = umap.AlignedUMAP(n_neighbors=min(15, len(left) - 1), min_dist=0.1,
                             n_epochs=n_epochs, random_state=seed,
                             alignment_regularisation=regularisation)
    model.fit([left, right], relations=[{i: i for i in range(len(left))}])
    seconds = time.perf_counter() - start
    yield MapProgress("inverse", 0.95, "aligning the maps")
    params = {"n_neighbors": min(15, len(left) - 1), "min_dist": 0.1, "n_epochs": n_epochs,
              "seed": seed, "init": "fitted together (AlignedUMAP)",
              "alignment_regularisation": regularisation, "fit_seconds": round(seconds, 2)}
    maps = [LatentMap(method="umap", codes=c, positions=np.asarray(e, np.float32),
                      params=dict(params)) for c, e in zip((left, right), model.embeddings_,
                                                           strict=True)]
    aligned = align_maps(maps[1], maps[0])
    yield MapProgress("done", 1.0, f"two umap maps of {len(left):,} codes fitted together")
    return maps[0], aligned
