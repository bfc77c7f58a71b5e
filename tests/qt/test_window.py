"""The explorer window, driven like a user would (offscreen)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QApplication
from qt_helpers import click, drag, empty_spot


def test_default_launch_shows_the_stored_map(window, model_files):
    assert len(window.workspace.sessions) == 2
    e = window.session
    n = e.n_points
    assert n == 1797
    assert window.canvas.points.n_points == n
    # point i is drawn where sample i is: a point maps back to its sample
    assert np.array_equal(window.canvas.points.positions, e.latent_map.positions)
    legend = [item[1].text for item in window.canvas.legend.items]
    assert legend == [str(i) for i in range(10)]
    assert window.model_combo.count() == 2
    assert window.colour_combo.itemData(0) == "label"


def test_labels_are_painted_before_torch_loads(qtbot, model_files, boxes):
    """The stored map and its labels come from the file alone (numpy-only path)."""
    from latent_atlas.explorer.qt.main_window import MainWindow

    w = MainWindow()
    try:
        w.open_paths(model_files, load=False)
        e = w.session
        assert e.decoder is None and e.labels is not None
        assert e.colouring().kind == "categorical"
        w.canvas.flush()
        assert w.canvas.points.n_points == e.n_points
    finally:
        w.shutdown()
        w.close()
        w.deleteLater()


def test_click_in_empty_space_changes_the_decoded_image(window):
    s = window.session
    m = s.latent_map
    click(window, m.positions[0])
    s.flush_decode()
    first = s.cursor_image.copy()
    spot = empty_spot(m)
    assert m.nearest_sample(spot)[1] > 0
    click(window, spot)
    s.flush_decode()
    assert np.allclose(s.cursor_xy, spot, atol=3 * window.canvas.pixel_size())
    assert s.cursor_image.shape == first.shape
    assert not np.array_equal(s.cursor_image, first)
    assert window.image_panel.decoded.image is s.cursor_image
    assert len(window.canvas.cursor.data) == 1


def test_drag_streams_decodes_and_ends_at_the_mouse(window):
    s = window.session
    m = s.latent_map
    a, b = m.positions[10], m.positions[500]
    before = s.decode_count
    images = []
    drag(window, a, b, steps=15, on_step=lambda: images.append(
        None if s.cursor_image is None else s.cursor_image.copy()))
    s.flush_decode()
    assert s.decode_count - before >= 8
    assert np.allclose(s.cursor_xy, b, atol=3 * window.canvas.pixel_size())
    distinct = {im.tobytes() for im in images if im is not None}
    assert len(distinct) >= 4


def test_stale_decode_requests_are_dropped(window):
    s = window.session
    m = s.latent_map
    before = s.decode_count
    for xy in m.positions[:50]:
        s.request_decode(xy)
    QApplication.processEvents()
    assert s.decode_count - before == 1
    assert np.allclose(s.cursor_xy, m.positions[49])


def test_arrow_yields_its_strip_with_the_requested_steps(window, qtbot):
    s = window.session
    m = s.latent_map
    tools = window.workspace.tools
    tools.set_tool("arrow")
    drag(window, m.positions[3], m.positions[900])
    e = s
    assert len(e.arrows) == 1
    a = e.arrows[0]
    assert (a.index0, a.index1) == (3, 900)  # both ends snapped to their samples
    assert a.frames.shape[0] == 7 and a.fade.shape[0] == 7
    assert np.array_equal(a.fade[0], a.frames[0]) and np.array_equal(a.fade[-1], a.frames[-1])
    assert a.trace.shape == (7, 2)
    window.strip_panel.steps.setValue(12)
    assert s.steps == 12 and a.frames.shape[0] == 12 and a.trace.shape == (12, 2)
    strip = window.strip_panel.decoded_row.image
    assert strip.shape[1] == 12 * 8 + 11  # 12 images of 8 px with 1 px gaps
    window.strip_panel.mode.setCurrentIndex(1)
    assert s.mode == "slerp" and a.frames.shape[0] == 12
    # a second arrow with Shift+drag in the Explore tool, then select and delete
    tools.set_tool("explore")
    spot = empty_spot(m)
    drag(window, spot, m.positions[1200], modifiers=Qt.KeyboardModifier.ShiftModifier)
    assert len(e.arrows) == 2 and e.arrows[1].index0 is None
    assert s.selected_arrow == 1
    tools.set_tool("arrow")
    click(window, (np.asarray(a.xy0) + np.asarray(a.xy1)) / 2)
    assert s.selected_arrow == 0
    window.canvas.plot.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_Delete)
    assert len(e.arrows) == 1 and e.arrows[0].index0 is None


def test_colour_by_every_choice(window):
    s = window.session
    keys = [window.colour_combo.itemData(i) for i in range(window.colour_combo.count())]
    assert {"label", "recon_error", "latent_norm", "none"} <= set(keys)
    for key in keys:
        s.set_colour_key(key)
        window.canvas.flush()
        col = s.colouring()
        assert window.canvas._legend_key[0] == col.key
        assert len(col.index) == s.n_points
        assert window.canvas.points.n_points == s.n_points


def test_hover_shows_original_and_reconstruction(window):
    s = window.session
    m = s.latent_map
    s.hover_at(m.positions[42], tolerance=1e-6)
    assert s.hover_index == 42
    assert window.image_panel.hover_original.image.shape == (8, 8)
    assert window.image_panel.hover_recon.image.shape == (8, 8)
    assert "#42" in window.image_panel.hover_group.title()


def test_switching_models_keeps_arrows_per_model(window):
    ws = window.workspace
    ws.active.add_arrow(ws.active.latent_map.positions[0], ws.active.latent_map.positions[1],
                        tolerance=1e-6)
    ws.set_active(0)
    assert ws.active.arrows == [] and ws.active.selected() is None
    assert window.strip_panel.session is ws.active and window.canvas.session is ws.active
    ws.set_active(1)
    assert len(ws.active.arrows) == 1 and ws.active.selected() is not None


def test_bad_files_show_an_error_and_the_app_continues(window, boxes, tmp_path):
    garbage = tmp_path / "broken.safetensors"
    garbage.write_bytes(b"\x00" * 100)
    picture = tmp_path / "broken.png"
    picture.write_bytes(b"not a png at all")
    missing = tmp_path / "missing.safetensors"
    n = len(window.workspace.sessions)
    assert window.open_paths([str(garbage), str(missing)]) == 0
    assert not window.place_image_file(str(picture))
    assert len(boxes.calls) == 3
    assert "not a Latent Atlas model file" in boxes.calls[0][1]
    assert "does not exist" in boxes.calls[1][1]
    assert "not a picture" in boxes.calls[2][1]
    assert len(window.workspace.sessions) == n
    click(window, window.session.latent_map.positions[5])
    window.session.flush_decode()
    assert window.session.cursor_image is not None


def _photo(path, size=(120, 80)):
    from PIL import Image, ImageDraw

    img = Image.new("RGB", size, (250, 250, 245))
    ImageDraw.Draw(img).ellipse((30, 10, 90, 70), outline=(10, 10, 10), width=8)
    img.save(path)
    return path


def test_own_image_is_placed_and_reconstructed(window, tmp_path):
    path = _photo(tmp_path / "zero.png")
    assert window.place_image_file(str(path))
    s = window.session
    p = s.placed
    assert p.original.shape == (1, 8, 8) and p.reconstruction.shape == (8, 8)
    assert np.isfinite(p.xy).all()
    assert np.allclose(p.xy, s.latent_map.place(p.z), atol=1e-5)
    assert len(window.canvas.placed.data) == 1
    assert window.image_panel.own_recon.image is p.reconstruction
    # drag-and-drop of a JPEG onto the window does the same
    from PIL import Image

    jpg = tmp_path / "face.jpg"
    Image.open(path).convert("RGB").save(jpg, quality=80)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(jpg))])
    ev = QDropEvent(QPoint(10, 10).toPointF(), Qt.DropAction.CopyAction, mime,
                    Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    window.dropEvent(ev)
    assert s.placed.name == "face.jpg"


def test_exports_and_save_round_trip(window, tmp_path, boxes):
    s = window.session
    m = s.latent_map
    s.add_arrow(m.positions[0], m.positions[77], tolerance=1e-6)
    f = window.files
    assert f.export_strip("png", str(tmp_path / "strip.png"))
    assert f.export_strip("gif", str(tmp_path / "strip.gif"))
    assert f.export_map_png(str(tmp_path / "map.png"))
    assert f.export_codes("csv", str(tmp_path / "codes.csv"))
    assert f.export_codes("npz", str(tmp_path / "codes.npz"))
    assert f.export_interop("projector", str(tmp_path / "proj"))
    assert (tmp_path / "proj" / "sprite.png").exists()  # the data is loaded: pictures too
    assert len((tmp_path / "proj" / "metadata.tsv").read_text().splitlines()) == m.n_points + 1
    from PIL import Image

    gif = Image.open(tmp_path / "strip.gif")
    total_ms = 0
    for i in range(gif.n_frames):  # Pillow merges identical neighbours, adding their durations
        gif.seek(i)
        total_ms += gif.info["duration"]
    assert total_ms == (7 + 5) * 120  # forward and back
    assert Image.open(tmp_path / "map.png").size[0] > 100
    with np.load(tmp_path / "codes.npz") as z:
        assert z["codes"].shape == m.codes.shape and z["positions"].shape == (m.n_points, 2)
    assert (tmp_path / "codes.csv").read_text().count("\n") == m.n_points + 1
    out = tmp_path / "saved.safetensors"
    assert f.save_to(out)
    assert boxes.calls == []
    assert window.open_paths([str(out)], load=False) == 1
    again = window.session
    assert again.name == "saved" and np.allclose(again.latent_map.positions, m.positions)
    assert np.array_equal(again.labels, window.workspace.sessions[1].labels)
    assert str(out.resolve()) in f.recent_files()


@pytest.mark.parametrize("fmt", ["png", "gif"])
def test_strip_export_without_arrow_is_a_readable_error(window, boxes, fmt):
    assert not window.files.export_strip(fmt, "/tmp/never-written." + fmt)
    assert boxes.calls and "Draw an arrow" in boxes.calls[0][1]


def test_the_status_line_shows_the_mouse_map_position(window):
    """Issue 26: the coordinates `latent-atlas decode --xy` takes are visible in the window."""
    from PySide6.QtCore import QPointF

    xy = window.session.latent_map.positions[7]
    scene = window.canvas.vb.mapViewToScene(QPointF(float(xy[0]), float(xy[1])))
    window.canvas._on_mouse_moved(scene)
    text = window.position_label.text()
    x, y = (float(v) for v in text.replace("x ", "").replace("y ", "").split(","))
    assert abs(x - xy[0]) < 0.01 and abs(y - xy[1]) < 0.01
    window.canvas._on_mouse_moved(QPointF(-1e6, -1e6))  # off the map: the position goes
    assert window.position_label.text() == ""
