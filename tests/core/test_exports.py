import numpy as np
import pytest
from PIL import Image

from latent_atlas.explorer.core.io.exports import (
    codes_csv_text,
    export_codes_csv,
    export_codes_npz,
    export_strip_gif,
    export_strip_png,
    strip_picture,
)


def test_csv_and_npz(tmp_path):
    codes = np.arange(6, dtype=np.float32).reshape(3, 2)
    pos = codes[:, ::-1].copy()
    labels = np.array([0, 1, 0])
    text = codes_csv_text(codes, pos, labels, ["zero", 'one "1"'])
    lines = text.splitlines()
    assert lines[0] == "index,x,y,label,label_name,z0,z1"
    assert lines[2] == '1,3,2,1,"one ""1""",2,3'
    export_codes_csv(tmp_path / "c.csv", codes, pos)
    assert (tmp_path / "c.csv").read_text().startswith("index,x,y,z0,z1\n")
    export_codes_npz(tmp_path / "c.npz", codes, pos, labels, ["a", "b"])
    with np.load(tmp_path / "c.npz") as z:
        assert np.array_equal(z["codes"], codes) and list(z["label_names"]) == ["a", "b"]
    with pytest.raises(ValueError):
        export_codes_npz(tmp_path / "x.npz", codes, pos[:2])


def test_strip_png_and_gif(tmp_path):
    frames = np.stack([np.full((8, 8), 30 * i, np.uint8) for i in range(5)])
    pic = strip_picture([frames, frames], scale=2, gap=1)
    assert pic.shape == (2 * 16 + 2, 5 * 16 + 4)
    export_strip_png(tmp_path / "s.png", [frames, frames])
    assert Image.open(tmp_path / "s.png").size == (5 * 32 + 4 * 2, 2 * 32 + 4)
    export_strip_gif(tmp_path / "s.gif", frames, scale=2)
    gif = Image.open(tmp_path / "s.gif")
    assert gif.size == (16, 16) and gif.n_frames == 5 + 3
    with pytest.raises(ValueError):
        export_strip_gif(tmp_path / "e.gif", frames[:0])
