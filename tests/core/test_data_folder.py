"""`folder:DIR`: formats, labels, resizing, and every kind of bad file, made by the tests."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from latent_atlas.explorer.core.data import DataError, load_data
from latent_atlas.explorer.core.data import folder as folder_mod

ROOT = Path(__file__).resolve().parents[2]


def _png_chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))


def write_blank_png(path: Path, width: int, height: int) -> Path:
    """A valid all-black grayscale PNG of any size, written without allocating its pixels."""
    comp = zlib.compressobj(1)
    row = bytes(width + 1)  # filter byte + pixels
    idat = b"".join(comp.compress(row) for _ in range(height)) + comp.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", idat)
                     + _png_chunk(b"IEND", b""))
    return path


def solid(mode: str, size: tuple[int, int], value) -> Image.Image:
    return Image.new(mode, size, value)


@pytest.fixture(scope="module")
def huge_png(tmp_path_factory) -> Path:
    return write_blank_png(tmp_path_factory.mktemp("huge") / "huge.png", 20000, 20000)


@pytest.fixture
def labelled(tmp_path) -> Path:
    """cats/ (gray PNG, BMP, GIF) and dogs/ (colour JPEG, palette PNG) with known values."""
    (tmp_path / "cats").mkdir()
    (tmp_path / "dogs" / "puppies").mkdir(parents=True)
    solid("L", (40, 30), 100).save(tmp_path / "cats" / "a.png")
    solid("L", (20, 20), 150).save(tmp_path / "cats" / "b.bmp")
    frames = [solid("L", (16, 16), 200), solid("L", (16, 16), 10)]
    frames[0].save(tmp_path / "cats" / "c.gif", save_all=True, append_images=frames[1:])
    solid("RGB", (64, 48), (250, 0, 0)).save(tmp_path / "dogs" / "d.jpg", quality=95)
    solid("RGB", (32, 32), (0, 0, 250)).convert("P").save(tmp_path / "dogs" / "puppies" / "e.png")
    (tmp_path / "notes.txt").write_text("not an image")
    return tmp_path


def test_labels_from_subfolders_and_formats(labelled):
    s = load_data(f"folder:{labelled}")
    assert s.images.shape == (5, 3, 32, 32)  # one colour image makes the set RGB
    assert s.label_names == ["cats", "dogs"]
    assert s.labels.tolist() == [0, 0, 0, 1, 1]
    assert s.spec == f"folder:{labelled}" and not s.notes
    means = s.images.reshape(5, 3, -1).mean(axis=2)
    assert np.allclose(means[0], 100, atol=1) and np.allclose(means[2], 200, atol=1)  # GIF frame 0
    assert means[3, 0] > 240 and means[3, 2] < 10  # the red JPEG stays red
    assert means[4, 2] > 240 and means[4, 0] < 10  # the blue palette PNG, found one level down


def test_size_channels_and_canonical_spec(labelled):
    s = load_data(f"folder:{labelled}?size=16&channels=gray")
    assert s.images.shape == (5, 1, 16, 16)
    assert s.spec == f"folder:{labelled}?channels=1&size=16"
    assert abs(int(s.images[3].mean()) - 75) <= 2  # red as luma: 0.299 * 250
    again = load_data(s.spec)
    assert np.array_equal(again.images, s.images)


def test_gray_folder_stays_single_channel_and_unlabelled(tmp_path):
    for i in range(3):
        solid("L", (10, 10), 50 * i).save(tmp_path / f"{i}.png")
    s = load_data(f"folder:{tmp_path}")
    assert s.images.shape == (3, 1, 32, 32) and s.labels is None


def test_limit_seed_and_max(labelled):
    assert len(load_data(f"folder:{labelled}?max=2")) == 2
    a = load_data(f"folder:{labelled}?limit=3&seed=1")
    b = load_data(a.spec)
    assert a.spec == f"folder:{labelled}?limit=3&seed=1"
    assert np.array_equal(a.images, b.images) and np.array_equal(a.labels, b.labels)


def test_aspect_preserving_centre_crop(tmp_path):
    im = Image.new("L", (90, 30), 0)
    im.paste(255, (30, 0, 60, 30))  # bright centre third, dark sides
    im.save(tmp_path / "wide.png")
    out = load_data(f"folder:{tmp_path}?size=10").images[0, 0]
    assert out.min() > 200  # the dark sides were cropped, not squeezed in


def test_alpha_and_16_bit_images(tmp_path):
    rgba = Image.new("RGBA", (8, 8), (255, 255, 255, 0))
    rgba.save(tmp_path / "clear.png")
    Image.fromarray(np.full((8, 8), 65535, np.uint16)).save(tmp_path / "deep.png")
    s = load_data(f"folder:{tmp_path}?channels=1&size=8")
    assert s.images[0].max() == 0  # transparent pixels land on black
    assert s.images[1].min() == 255  # 16-bit white is white, not clipped garbage


def test_corrupt_png_among_good_ones_is_skipped_and_reported(labelled):
    good = (labelled / "cats" / "a.png").read_bytes()
    (labelled / "cats" / "broken.png").write_bytes(good[: len(good) // 2])
    (labelled / "cats" / "fake.jpg").write_bytes(b"this is not a jpeg")
    s = load_data(f"folder:{labelled}")
    assert len(s) == 5
    assert len(s.notes) == 1
    assert s.notes[0].startswith("skipped 2 unreadable file(s): ")
    assert "broken.png" in s.notes[0] and "fake.jpg" in s.notes[0]


def test_many_skipped_files_name_only_the_first_few(tmp_path):
    solid("L", (8, 8), 1).save(tmp_path / "ok.png")
    for i in range(6):
        (tmp_path / f"bad{i}.png").write_bytes(b"junk")
    note = load_data(f"folder:{tmp_path}").notes[0]
    assert note.startswith("skipped 6 unreadable") and note.endswith("and 3 more")


def test_huge_image_is_refused_without_decoding(tmp_path, huge_png, monkeypatch):
    (tmp_path / "huge.png").symlink_to(huge_png)
    write_blank_png(tmp_path / "big.png", 8000, 6000)  # under Pillow's limit, over ours
    solid("L", (8, 8), 7).save(tmp_path / "small.png")
    from PIL import ImageFile

    decoded = []
    real_load = ImageFile.ImageFile.load

    def spy(self):
        decoded.append(self.size)
        return real_load(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", spy)
    s = load_data(f"folder:{tmp_path}")
    assert len(s) == 1
    assert "skipped 2 unreadable" in s.notes[0]
    assert "big.png (8000x6000 pixels is too large" in s.notes[0]
    assert "huge.png (too large" in s.notes[0]
    assert set(decoded) == {(8, 8)}  # only the small image was ever decoded


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses RLIMIT_AS and /proc")
def test_huge_image_loads_within_a_memory_cap(tmp_path, huge_png):
    (tmp_path / "huge.png").symlink_to(huge_png)
    write_blank_png(tmp_path / "big.png", 8000, 6000)
    solid("L", (8, 8), 7).save(tmp_path / "small.png")
    # Cap the address space 40 MB above what the imports use: decoding either big image
    # (48 MB and 400 MB of pixels) would hit MemoryError instead of the size check.
    code = (
        "import resource, sys\n"
        "import numpy, PIL.Image, latent_atlas.explorer.core.data.folder\n"
        "from latent_atlas.explorer.core.data import load_data\n"
        "vm = [l for l in open('/proc/self/status') if l.startswith('VmSize')][0]\n"
        "cap = int(vm.split()[1]) * 1024 + 40 * 2**20\n"
        "resource.setrlimit(resource.RLIMIT_AS, (cap, cap))\n"
        f"s = load_data('folder:{tmp_path}')\n"
        "print(len(s), s.notes[0])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("1 skipped 2 unreadable")
    assert "8000x6000 pixels is too large" in out.stdout and "MemoryError" not in out.stdout


def test_big_jpeg_is_decoded_at_reduced_scale(tmp_path, monkeypatch):
    solid("RGB", (400, 400), (10, 200, 30)).save(tmp_path / "photo.jpg")
    write_blank_png(tmp_path / "plain.png", 400, 400)
    monkeypatch.setattr(folder_mod, "MAX_PIXELS", 10_000)  # 400x400 is "huge" now
    s = load_data(f"folder:{tmp_path}")
    assert len(s) == 1 and s.images[0, 1].mean() > 180  # the JPEG, via draft mode
    assert "plain.png (400x400 pixels is too large" in s.notes[0]


# -- bad folders -----------------------------------------------------------------------

def test_missing_folder(tmp_path):
    with pytest.raises(DataError, match="no such folder: .*nope"):
        load_data(f"folder:{tmp_path / 'nope'}")


def test_empty_folder(tmp_path):
    with pytest.raises(DataError, match="the folder .* is empty"):
        load_data(f"folder:{tmp_path}")


def test_folder_with_no_images(tmp_path):
    (tmp_path / "a.txt").write_text("x")
    (tmp_path / "b.csv").write_text("1,2")
    with pytest.raises(DataError, match=r"no image files \(PNG, JPEG.*holds 2 other file"):
        load_data(f"folder:{tmp_path}")


def test_all_images_unreadable(tmp_path):
    (tmp_path / "a.png").write_bytes(b"nope")
    with pytest.raises(DataError, match="none of the 1 image file.* could be read: a.png"):
        load_data(f"folder:{tmp_path}")


def test_a_file_is_not_a_folder(tmp_path):
    path = tmp_path / "a.png"
    solid("L", (4, 4), 0).save(path)
    with pytest.raises(DataError, match="is a file; folder:DIR takes a folder"):
        load_data(f"folder:{path}")


def test_permission_denied(tmp_path, monkeypatch):
    solid("L", (4, 4), 0).save(tmp_path / "a.png")
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if Path(p) == tmp_path
                        else real_access(p, mode))
    with pytest.raises(DataError, match="cannot read .*: permission denied"):
        load_data(f"folder:{tmp_path}")


def test_unreadable_file_is_skipped(tmp_path, monkeypatch):
    solid("L", (4, 4), 0).save(tmp_path / "a.png")
    solid("L", (4, 4), 0).save(tmp_path / "b.png")
    real_open = Image.open

    def deny(fp, *args, **kwargs):
        if str(fp).endswith("b.png"):
            raise PermissionError(13, "Permission denied", str(fp))
        return real_open(fp, *args, **kwargs)

    monkeypatch.setattr(Image, "open", deny)
    s = load_data(f"folder:{tmp_path}")
    assert len(s) == 1 and "b.png (permission denied)" in s.notes[0]


def test_permission_denied_for_real(unprivileged):
    # runs as an unprivileged user (a forked child drops root), so it runs as root too
    locked = unprivileged.folder / "locked"
    locked.mkdir()
    solid("L", (4, 4), 0).save(locked / "a.png")
    unprivileged.share()
    assert unprivileged.run(lambda: len(load_data(f"folder:{locked}"))) == 1  # readable first
    locked.chmod(0)
    with pytest.raises(DataError, match="permission denied"):
        unprivileged.run(lambda: load_data(f"folder:{locked}"))
