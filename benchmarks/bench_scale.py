"""The map at scale: 100,000 and 1,000,000 points, beside today's ScatterPlotItem path.

In one process, offscreen (QT_QPA_PLATFORM=offscreen), on synthetic clustered positions
with 10 labels and a continuous value (standing in for the reconstruction error):

- first paint: a session with a freshly built map (no spatial index yet) is handed to a
  `MapCanvas`, which colours it, indexes it and paints it into a pixmap (`grab`);
- recolour: the colour key goes label -> continuous -> label, each change painted;
- frames: a pan (2 % of the view per frame) and a zoom (3 % per frame) sequence, each
  frame forced into a pixmap, at the full view (the density raster above 50,000 points
  in view) and zoomed in to ~40,000 points in view (the points themselves); the raster
  that is made once a gesture settles is timed separately (`settle_ms`);
- hover pick: `Session.hover_at` (the map's grid) at 1,000 positions near the data;
- peak RSS of the process once the 1M map is drawn with 1M 28x28 uint8 images held.

The baseline is today's path: one `ScatterPlotItem` with a brush per point, recoloured by
`setData`, and a nearest-point scan. At 1M it is extrapolated linearly from 200,000 points
(it scales linearly; 1M takes minutes), unless `--baseline-1m` measures it once.

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_scale.py [--reps 3] [--baseline-1m]
        [--data shapes:1000000]

Last line: key=value pairs (first_paint_s_1m, recolour_ms_1m, frame_ms_1m, ...).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

SIZE = (900, 700)  # canvas size in pixels
N_CLASSES = 10


def synthetic(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Positions (n x 2 float32) in 10 overlapping elliptic clusters with heavy tails,
    their labels, and a continuous value per point (distance to the cluster centre)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0.0, 6.0, (N_CLASSES, 2))
    labels = rng.integers(0, N_CLASSES, n)
    angle = rng.uniform(0.0, 2 * np.pi, n)
    radius = rng.gamma(2.0, 0.6, n)
    pos = centres[labels] + np.c_[np.cos(angle) * radius * 1.6, np.sin(angle) * radius]
    pos[:, 1] += 0.3 * pos[:, 0]
    return pos.astype(np.float32), labels.astype(np.int64), radius.astype(np.float32)


def synthetic_images(labels: np.ndarray) -> np.ndarray:
    """N x 1 x 28 x 28 uint8 images (a noisy template per label), every page written."""
    rng = np.random.default_rng(1)
    templates = rng.integers(0, 256, (N_CLASSES, 1, 28, 28), dtype=np.uint8)
    return templates[labels % N_CLASSES]


class Clock:
    """Wall and process CPU time of each `with clock:` block. On a shared machine the CPU
    time is what the work costs; the wall time adds the waits for a core."""

    def __init__(self):
        self.wall: list[float] = []
        self.cpu: list[float] = []

    def __enter__(self):
        self._t, self._c = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall.append(time.perf_counter() - self._t)
        self.cpu.append(time.process_time() - self._c)

    def p50(self, cpu: bool = False) -> float:
        return float(np.median(self.cpu if cpu else self.wall)) * 1e3

    def pct(self, q: float, cpu: bool = False) -> float:
        return float(np.percentile(self.cpu if cpu else self.wall, q)) * 1e3

    def __str__(self) -> str:
        w = np.asarray(self.wall) * 1e3
        return (f"p50 {np.median(w):.1f} ms, p95 {np.percentile(w, 95):.1f}, max {w.max():.1f} "
                f"(cpu p50 {self.p50(True):.1f} ms; n={len(w)})")


def peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9  # KiB on Linux


class Bench:
    def __init__(self):
        from PySide6.QtWidgets import QApplication

        self.app = QApplication.instance() or QApplication([])
        from latent_atlas.explorer.qt.app import configure_pyqtgraph
        from latent_atlas.explorer.qt.refguard import pin_singletons

        pin_singletons()
        configure_pyqtgraph()

    # ---- the new path ---------------------------------------------------------------------
    def session(self, pos, labels, value):
        from latent_atlas.explorer.core.latent.map import LatentMap
        from latent_atlas.explorer.session.session import Session

        m = LatentMap("identity", pos, pos)  # a 2-D latent shown as itself: no fit
        s = Session("bench", {}, latent_map=m, labels=labels,
                    label_names=[f"class {i}" for i in range(N_CLASSES)])
        s.recon_error = value  # the continuous colouring ("Reconstruction error")
        return s

    def canvas(self):
        from latent_atlas.explorer.qt.canvas import MapCanvas
        from latent_atlas.explorer.session.workspace import Tools

        c = MapCanvas(Tools())
        c.resize(*SIZE)
        c.show()
        self.app.processEvents()
        return c

    def first_paint(self, canvas, pos, labels, value, reps):
        clock = Clock()
        for _ in range(reps):
            canvas.set_session(None)
            canvas.flush()
            self.app.processEvents()
            s = self.session(pos.copy(), labels, value)  # a new map: no grid built yet
            with clock:
                canvas.set_session(s)
                canvas.flush()
                canvas.plot.grab()
        return s, clock

    def recolour(self, canvas, s, reps):
        out = {"recon_error": Clock(), "label": Clock()}
        for _ in range(reps):
            for key in ("recon_error", "label"):
                with out[key]:
                    s.set_colour_key(key)
                    canvas.flush()
                    canvas.plot.grab()
        return out

    def frames(self, canvas, steps=20):
        """Pan then zoom in small steps from the current view, each frame painted."""
        vb = canvas.vb
        (x0, x1), (y0, y1) = vb.viewRange()
        clock = Clock()
        for i in range(steps):
            dx = 0.02 * (x1 - x0) * (1 if i < steps // 2 else -1)
            with clock:
                vb.translateBy(x=dx)
                canvas.plot.grab()
        for i in range(steps):
            f = 0.97 if i < steps // 2 else 1 / 0.97
            with clock:
                vb.scaleBy((f, f))
                canvas.plot.grab()
        vb.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)
        canvas.flush()
        return clock

    def zoom_to_points(self, canvas, pos, target=40_000):
        """Zoom on the densest label's centre until about `target` points are in view."""
        from latent_atlas.explorer.qt.map_points import POINTS_BACK

        centre = np.median(pos[:2000], axis=0)
        x0, x1, y0, y1 = (float(pos[:, 0].min()), float(pos[:, 0].max()),
                          float(pos[:, 1].min()), float(pos[:, 1].max()))
        half = np.array([(x1 - x0) / 2, (y1 - y0) / 2])
        for _ in range(60):
            inside = np.count_nonzero((np.abs(pos - centre) <= half).all(axis=1))
            if inside <= min(target, POINTS_BACK * 0.9):
                break
            half *= 0.85
        canvas.vb.setRange(xRange=(float(centre[0] - half[0]), float(centre[0] + half[0])),
                           yRange=(float(centre[1] - half[1]), float(centre[1] + half[1])),
                           padding=0)
        canvas.flush()
        canvas.plot.grab()
        return inside

    def settle(self, canvas, reps=3):
        """The raster made after a zoom settles (the one hiccup after a gesture)."""
        clock = Clock()
        (x0, x1), (y0, y1) = canvas.vb.viewRange()
        for _ in range(reps):
            for f in (0.6, 0.6):  # 1.7x and 2.8x: sharper than the overview's pixels
                canvas.vb.scaleBy((f, f))
                canvas.plot.grab()  # the frame during the gesture (the overview raster)
                with clock:
                    canvas.points.flush()
                    canvas.plot.grab()
                assert canvas.points.mode == "points" or canvas.points._view_raster is not None
            canvas.vb.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)
            canvas.flush()
        return clock

    def picks(self, s, pos, canvas, n=1000):
        from latent_atlas.explorer.qt.canvas import HOVER_PX

        rng = np.random.default_rng(3)
        x0, x1, y0, y1 = s.latent_map.bounds()
        canvas.vb.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0.05)
        canvas.flush()
        tol = HOVER_PX * canvas.pixel_size()
        q = pos[rng.integers(0, len(pos), n)] + rng.normal(0, 3 * tol, (n, 2)).astype(np.float32)
        clock = Clock()
        for p in q:
            with clock:
                s.hover_at(p, tol)
        # The grid's answer is the scan's answer.
        for p in q[:20]:
            d = np.linalg.norm(pos.astype(np.float64) - p, axis=1)
            want = int(np.argmin(d)) if d.min() <= tol else None
            assert s.nearest(p, tol) == want, "the grid pick differs from the scan"
        return clock

    def run_new(self, n, reps, images_spec=None):
        pos, labels, value = synthetic(n)
        images = None
        if n >= 1_000_000:
            images = load_images(images_spec, labels)
        c = self.canvas()
        s, fp = self.first_paint(c, pos, labels, value, reps)
        if images is not None:
            s.images = images
        r = {"n": n, "first_paint": fp, "mode_full": c.points.mode}
        r["recolour"] = self.recolour(c, s, reps)
        r["frames_full"] = self.frames(c)
        r["settle"] = self.settle(c)
        r["in_view"] = self.zoom_to_points(c, pos)
        r["mode_zoomed"] = c.points.mode
        r["frames_zoomed"] = self.frames(c)
        r["recolour_zoomed"] = self.recolour(c, s, 1)
        r["pick"] = self.picks(s, pos, c)
        if images is not None:
            r["rss_gb"] = peak_rss_gb()
            r["images"] = f"{images.shape} {images.dtype} ({images.nbytes / 1e9:.2f} GB)"
        s.close()
        c.set_session(None)
        c.close()
        c.deleteLater()
        self.app.processEvents()
        return r

    # ---- today's path ----------------------------------------------------------------------
    def run_baseline(self, n, reps):
        """Today's map: one ScatterPlotItem with a brush per point (the code this replaces)."""
        import pyqtgraph as pg

        from latent_atlas.explorer.qt.image_box import BACKGROUND
        from latent_atlas.explorer.qt.map_items import MapViewBox, PassiveScatter, palette
        from latent_atlas.explorer.session.workspace import Tools

        pos, labels, value = synthetic(n)
        s = self.session(pos, labels, value)
        vb = MapViewBox(Tools())
        plot = pg.PlotWidget(viewBox=vb, background=BACKGROUND)
        plot.hideAxis("left")
        plot.hideAxis("bottom")
        plot.resize(*SIZE)
        plot.show()
        scatter = PassiveScatter(pxMode=True, pen=None, size=5, antialias=False)
        plot.addItem(scatter)

        def draw():
            col = s.colouring()
            shared = np.empty(max(col.n_colours, 1), dtype=object)
            shared[:] = [pg.mkBrush(c) for c in palette(col.kind, col.n_colours)]
            scatter.setData(pos=s.latent_map.positions, data=np.arange(n), brush=shared[col.index],
                            pen=None, size=5)

        first, rec, frames, picks = Clock(), Clock(), Clock(), Clock()
        with first:
            draw()
            x0, x1, y0, y1 = s.latent_map.bounds()
            vb.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0.05)
            plot.grab()
        for i in range(reps):
            s.set_colour_key("recon_error" if i % 2 == 0 else "label")
            with rec:
                draw()
                plot.grab()
        for _ in range(6):
            with frames:
                vb.translateBy(x=0.02 * (x1 - x0))
                plot.grab()
        # today's nearest_sample: a scan over all positions
        rng = np.random.default_rng(3)
        p64 = s.latent_map.positions.astype(np.float64)
        for q in pos[rng.integers(0, n, 20)]:
            with picks:
                d2 = ((p64[None, :, :] - q.astype(np.float64)[None, None, :]) ** 2).sum(axis=2)
                int(np.argmin(d2, axis=1)[0])
        plot.close()
        plot.deleteLater()
        self.app.processEvents()
        return {"n": n, "first_paint": first, "recolour": rec, "frames": frames, "pick": picks}


def load_images(spec, labels):
    if spec:
        from latent_atlas.explorer.core.data import load_data

        data = load_data(spec)
        print(f"# images from {spec}: {data.images.shape} {data.images.dtype}")
        return data.images
    return synthetic_images(labels)


def report_new(r) -> None:
    print(f"== new renderer, {r['n']:,} points ==")
    print(f"first paint: {r['first_paint']} (view: {r['mode_full']})")
    for key, v in r["recolour"].items():
        print(f"recolour to {key}: {v}")
    print(f"frames at the full view ({r['mode_full']}): {r['frames_full']}")
    print(f"raster made when a zoom settles: {r['settle']}")
    print(f"zoomed in to {r['in_view']:,} points in view ({r['mode_zoomed']}): frames "
          f"{r['frames_zoomed']}")
    for key, v in r["recolour_zoomed"].items():
        print(f"recolour to {key} zoomed in: {v}")
    p = r["pick"]
    print(f"hover pick: p50 {p.p50():.3f} ms, p99 {p.pct(99):.3f} ms, max {max(p.wall) * 1e3:.3f} "
          f"(cpu p50 {p.p50(True):.3f} ms, p99 {p.pct(99, True):.3f} ms; n={len(p.wall)})")
    if "rss_gb" in r:
        print(f"peak RSS with {r['images']} images held: {r['rss_gb']:.2f} GB")


def report_baseline(r) -> None:
    print(f"== today's ScatterPlotItem path, {r['n']:,} points ==")
    print(f"first paint: {r['first_paint']}\nrecolour: {r['recolour']}\nframes: {r['frames']}\n"
          f"pick (scan): {r['pick']}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--baseline-1m", action="store_true",
                    help="measure today's path at 1M once instead of extrapolating")
    ap.add_argument("--data", help="data spec for the 1M images (default: synthetic uint8)")
    args = ap.parse_args()

    print(f"# cpus {os.cpu_count()}, load average {os.getloadavg()[0]:.1f} "
          f"(timings scale with what else runs); canvas {SIZE[0]}x{SIZE[1]} offscreen")
    b = Bench()
    new = {n: b.run_new(n, args.reps, args.data) for n in (100_000, 1_000_000)}
    for r in new.values():
        report_new(r)
    base = {n: b.run_baseline(n, args.reps) for n in (100_000, 200_000)}
    if args.baseline_1m:
        base[1_000_000] = b.run_baseline(1_000_000, 1)
    for r in base.values():
        report_baseline(r)

    if 1_000_000 in base:
        b1m = base[1_000_000]
        base_rec_1m, base_fp_1m = b1m["recolour"].p50(), b1m["first_paint"].p50()
        base_frame_1m = b1m["frames"].p50()
        base_rec_cpu_1m = b1m["recolour"].p50(True)
        how = "measured (1 repetition)"
    else:  # linear in the points: pyqtgraph styles, maps and culls every point each time
        b2 = base[200_000]
        base_rec_1m, base_fp_1m = b2["recolour"].p50() * 5, b2["first_paint"].p50() * 5
        base_frame_1m = b2["frames"].p50() * 5
        base_rec_cpu_1m = b2["recolour"].p50(True) * 5
        how = "extrapolated x5 from 200,000 points"
    print(f"baseline at 1M ({how}): first paint {base_fp_1m / 1e3:.2f} s, recolour "
          f"{base_rec_1m:.0f} ms, frame {base_frame_1m:.0f} ms")

    def recolour_ms(r, cpu=False) -> float:
        return max(v.p50(cpu) for v in r["recolour"].values())

    def frame_ms(r, cpu=False) -> float:
        return max(r["frames_full"].p50(cpu), r["frames_zoomed"].p50(cpu))

    r1, r100 = new[1_000_000], new[100_000]
    keys = {
        "first_paint_s_1m": f"{r1['first_paint'].p50() / 1e3:.3f}",
        "recolour_ms_1m": f"{recolour_ms(r1):.1f}",
        "frame_ms_1m": f"{frame_ms(r1):.1f}",
        "frame_ms_100k": f"{frame_ms(r100):.1f}",
        "pick_ms_1m": f"{r1['pick'].pct(99):.3f}",
        "peak_rss_gb_1m": f"{r1['rss_gb']:.2f}",
        "recolour_speedup_1m": f"{base_rec_1m / recolour_ms(r1):.0f}",
        "first_paint_speedup_1m": f"{base_fp_1m / r1['first_paint'].p50():.0f}",
        "first_paint_s_100k": f"{r100['first_paint'].p50() / 1e3:.3f}",
        "recolour_ms_100k": f"{recolour_ms(r100):.1f}",
        "recolour_speedup_100k": f"{base[100_000]['recolour'].p50() / recolour_ms(r100):.0f}",
        "pick_ms_100k": f"{r100['pick'].pct(99):.3f}",
        "cpu_first_paint_s_1m": f"{r1['first_paint'].p50(True) / 1e3:.3f}",
        "cpu_recolour_ms_1m": f"{recolour_ms(r1, True):.1f}",
        "cpu_frame_ms_1m": f"{frame_ms(r1, True):.1f}",
        "cpu_frame_ms_100k": f"{frame_ms(r100, True):.1f}",
        "cpu_pick_ms_1m": f"{r1['pick'].pct(99, True):.3f}",
        "cpu_recolour_speedup_1m": f"{base_rec_cpu_1m / recolour_ms(r1, True):.0f}",
        "baseline_1m": "measured" if 1_000_000 in base else "extrapolated_from_200k",
        "load": f"{os.getloadavg()[0]:.1f}",
    }
    print(" ".join(f"{k}={v}" for k, v in keys.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
