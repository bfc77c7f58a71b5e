"""MIG (Chen et al., "Isolating Sources of Disentanglement in VAEs", NeurIPS 2018) and
SAP (Kumar et al., "Variational Inference of Disentangled Latent Concepts from Unlabeled
Observations", ICLR 2018), as disentanglement_lib computes them.

MIG: each code dimension is put into 20 equal-width bins; I(z_j; v_k) is the discrete
mutual information of the binned code and the (discrete or binned) factor; for each
factor, the gap between its two most informative dimensions divided by the factor's
entropy H(v_k); the mean over factors. The bootstrap resamples the rows (codes with their
factors) and recomputes everything, binning included.

SAP: a score matrix S (d x K): for a continuous factor, the R² of a linear fit of the
factor from one dimension (squared correlation); for a categorical factor, the test
accuracy of a one-dimensional linear SVM (`LinearSVC(C=0.01, class_weight="balanced")`,
fitted on the training split). SAP is the mean over factors of the gap between the two
highest scores in the factor's column. disentanglement_lib takes one kind for every
factor (its `continuous_factors` flag); we choose per factor, which is what the flag would
say for each. The bootstrap resamples the test rows with the classifiers fixed.
"""

from __future__ import annotations

import numpy as np

from .factors import N_BINS, FactorTable, discretise_codes


def _entropy(counts: np.ndarray) -> float:
    total = counts.sum()
    p = counts[counts > 0] / total
    return float(-(p * np.log(p)).sum())


def mutual_information(a: np.ndarray, b: np.ndarray, weights: np.ndarray | None = None
                       ) -> float:
    """Discrete mutual information (nats) of two non-negative integer arrays, optionally
    with per-row weights (counts of a bootstrap resample)."""
    na, nb = int(a.max()) + 1, int(b.max()) + 1
    joint = np.bincount(a * nb + b, weights=weights, minlength=na * nb).reshape(na, nb)
    total = joint.sum()
    if total <= 0:
        return 0.0
    pa = joint.sum(axis=1, keepdims=True) / total
    pb = joint.sum(axis=0, keepdims=True) / total
    p = joint / total
    nz = p > 0
    return float(max(0.0, (p[nz] * np.log(p[nz] / (pa @ pb)[nz])).sum()))


def mi_matrix(code_bins: np.ndarray, factor_bins: np.ndarray,
              weights: np.ndarray | None = None) -> np.ndarray:
    """d x K matrix of I(z_j; v_k) in nats, every pair from one `bincount`."""
    d, k = code_bins.shape[1], factor_bins.shape[1]
    na, nb = int(code_bins.max()) + 1, int(factor_bins.max()) + 1
    cell = (code_bins[:, :, None] * nb + factor_bins[:, None, :])  # n x d x K
    offset = (np.arange(d * k).reshape(d, k) * (na * nb))[None]
    w = None if weights is None else np.broadcast_to(weights[:, None, None], cell.shape).ravel()
    joint = np.bincount((cell + offset).ravel(), weights=w, minlength=d * k * na * nb)
    p = joint.reshape(d, k, na, nb).astype(np.float64)
    total = p.sum(axis=(2, 3), keepdims=True)
    p = p / np.maximum(total, 1e-300)
    pa = p.sum(axis=3, keepdims=True)
    pb = p.sum(axis=2, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * np.log(p / (pa * pb)), 0.0)
    return np.maximum(terms.sum(axis=(2, 3)), 0.0)


def factor_entropies(factor_bins: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    return np.array([_entropy(np.bincount(factor_bins[:, f], weights=weights))
                     for f in range(factor_bins.shape[1])])


def mig_from(m: np.ndarray, entropy: np.ndarray) -> tuple[float, np.ndarray]:
    """(MIG, per-factor gaps) from the d x K mutual information and the K entropies."""
    top = np.sort(m, axis=0)[::-1]
    per = np.where(entropy > 0, (top[0] - top[1]) / np.maximum(entropy, 1e-12), 0.0)
    return float(per.mean()), per


def _mi_from_joint(joint: np.ndarray) -> np.ndarray:
    """Mutual information (nats) of joint counts ... x na x nb over the last two axes."""
    p = joint / np.maximum(joint.sum(axis=(-2, -1), keepdims=True), 1e-300)
    pa = p.sum(axis=-1, keepdims=True)
    pb = p.sum(axis=-2, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * np.log(p / (pa * pb)), 0.0)
    return np.maximum(terms.sum(axis=(-2, -1)), 0.0)


def mig(codes: np.ndarray, table: FactorTable, *, n_bins: int = N_BINS, n_boot: int = 200,
        seed: int = 0) -> dict:
    """{"value", "per_factor", "samples"}: MIG and its bootstrap replicates.

    The bins are those of the full sample; a replicate reweights the rows (the counts of a
    resample with replacement), so every replicate's joint counts come from one sparse
    product instead of a pass per replicate.
    """
    from scipy import sparse

    zb = discretise_codes(codes, n_bins)
    value, per = mig_from(mi_matrix(zb, table.bins), factor_entropies(table.bins))
    n, d, k = len(codes), codes.shape[1], table.n_factors
    if n_boot < 1:
        return {"value": value, "per_factor": per, "samples": np.array([])}
    na, nb = int(zb.max()) + 1, int(table.bins.max()) + 1
    cells = (zb[:, :, None] * nb + table.bins[:, None, :]
             + (np.arange(d * k).reshape(d, k) * (na * nb))[None]).reshape(n, -1)
    onehot = sparse.csr_matrix((np.ones(cells.size), cells.ravel(),
                                np.arange(0, cells.size + 1, d * k)), shape=(n, d * k * na * nb))
    fcells = table.bins + np.arange(k) * nb
    fonehot = sparse.csr_matrix((np.ones(fcells.size), fcells.ravel(),
                                 np.arange(0, fcells.size + 1, k)), shape=(n, k * nb))
    rng = np.random.default_rng(seed)
    reps = []
    for start in range(0, n_boot, 25):
        m = min(25, n_boot - start)
        w = np.stack([np.bincount(rng.integers(0, n, n), minlength=n) for _ in range(m)])
        joint = np.asarray(onehot.T @ w.T.astype(np.float64)).T.reshape(m, d, k, na, nb)
        fcount = np.asarray(fonehot.T @ w.T.astype(np.float64)).T.reshape(m, k, nb)
        mi = _mi_from_joint(joint)
        for b in range(m):
            c = fcount[b]
            pk = c / np.maximum(c.sum(axis=1, keepdims=True), 1e-300)
            with np.errstate(divide="ignore", invalid="ignore"):
                h = -np.where(pk > 0, pk * np.log(pk), 0.0).sum(axis=1)
            reps.append(mig_from(mi[b], h)[0])
    return {"value": value, "per_factor": per, "samples": np.array(reps)}


def _r2_matrix(codes: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted squared correlation of every code dimension with y: d values."""
    w = w / w.sum()
    zc = codes - w @ codes
    yc = y - w @ y
    cov = w @ (zc * yc[:, None])
    var_z = w @ (zc * zc)
    var_y = float(w @ (yc * yc))
    ok = (var_z > 1e-12) & (var_y > 1e-12)
    return np.where(ok, cov**2 / np.maximum(var_z * var_y, 1e-300), 0.0)


def sap(codes: np.ndarray, table: FactorTable, train: np.ndarray, test: np.ndarray, *,
        n_boot: int = 200, seed: int = 0) -> dict:
    """{"value", "score_matrix", "samples"}: SAP on the test rows, classifiers fitted on
    the train rows; bootstrap replicates resample the test rows."""
    from sklearn.svm import LinearSVC

    d, k = codes.shape[1], table.n_factors
    zt = codes[test]
    # correct[j][f]: per test row, whether dimension j's classifier got factor f right.
    correct: dict[tuple[int, int], np.ndarray] = {}
    for f in range(k):
        if not table.categorical[f]:
            continue
        y_tr, y_te = table.bins[train, f], table.bins[test, f]
        for j in range(d):
            x_tr = codes[train, j:j + 1]
            if len(np.unique(y_tr)) < 2 or np.ptp(x_tr) <= 1e-12:
                correct[(j, f)] = y_te == np.bincount(y_tr).argmax()
                continue
            sd = float(x_tr.std()) or 1.0
            clf = LinearSVC(C=0.01, class_weight="balanced")
            clf.fit(x_tr / sd, y_tr)
            correct[(j, f)] = clf.predict(zt[:, j:j + 1] / sd) == y_te

    def score(w: np.ndarray) -> np.ndarray:
        s = np.zeros((d, k))
        for f in range(k):
            if table.categorical[f]:
                for j in range(d):
                    s[j, f] = float(w @ correct[(j, f)]) / float(w.sum())
            else:
                s[:, f] = _r2_matrix(zt, table.values[test, f], w)
        return s

    def gap(s: np.ndarray) -> float:
        top = np.sort(s, axis=0)[::-1]
        return float((top[0] - top[1]).mean())

    m = len(test)
    s0 = score(np.ones(m))
    rng = np.random.default_rng(seed)
    reps = [gap(score(np.bincount(rng.integers(0, m, m), minlength=m).astype(np.float64)))
            for _ in range(n_boot)]
    return {"value": gap(s0), "score_matrix": s0, "samples": np.array(reps)}
