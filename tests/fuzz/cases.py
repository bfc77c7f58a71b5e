"""The hostile inputs of issue 14, one `Case` each: build the files in a folder, run the
command, expect exit code 2 and one readable line (and, where it matters, nothing lost).

Numbers are the issue's numbered findings. Cases that need more than one command line
(Ctrl-C, pipes, the GUI, crash leftovers) are tests of their own in this folder.
"""

from __future__ import annotations

import math
import os
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from fuzzkit import make_model_file, mutate, set_config


@dataclass(frozen=True)
class Case:
    number: int  # the issue's numbered finding
    name: str
    setup: Callable[[Path], list[str]]  # builds files under the folder, returns argv
    needles: tuple[str, ...] = ()  # words the one error line must contain
    unchanged: tuple[str, ...] = ()  # files (relative to the folder) that must not change

    @property
    def id(self) -> str:
        return f"{self.number}-{self.name}"


def base(d: Path, name: str = "base.safetensors", **kw) -> Path:
    path = d / name
    return path if path.exists() else make_model_file(path, **kw)


def fifo(d: Path, name: str) -> Path:
    path = d / name
    os.mkfifo(path)
    return path


def png(path: Path, size: int = 8, value: int = 200) -> Path:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((size, size), value, np.uint8)).save(path)
    return path


def png_bomb(path: Path, width: int = 100_000, height: int = 100_000) -> Path:
    """A tiny PNG whose header declares width x height gray pixels."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat)
                     + chunk(b"IEND", b""))
    return path


def npz_declaring(path: Path, shape: tuple[int, ...], dtype: str = "|u1") -> Path:
    """An .npz whose `x` member's .npy header declares `shape`, with only a few bytes."""
    header = f"{{'descr': '{dtype}', 'fortran_order': False, 'shape': {shape!r}, }}"
    header = header + " " * (63 - (10 + len(header)) % 64) + "\n"
    blob = b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode("latin1")
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("x.npy", blob + b"\x00" * 64)
    return path


def idx_labels(path: Path, values: np.ndarray) -> Path:
    small = values.max() < 256  # type 0x08 (unsigned bytes) or 0x0C (big-endian int32)
    path.write_bytes(b"\x00\x00" + (b"\x08" if small else b"\x0c") + b"\x01"
                     + len(values).to_bytes(4, "big")
                     + np.asarray(values, ">u1" if small else ">i4").tobytes())
    return path


def idx_images(path: Path, n: int, h: int = 8, w: int = 8) -> Path:
    path.write_bytes(b"\x00\x00\x08\x03" + n.to_bytes(4, "big") + h.to_bytes(4, "big")
                     + w.to_bytes(4, "big") + bytes(n * h * w))
    return path


def _mutated(edit_meta=None, edit_header=None) -> Callable[[Path], Path]:
    def make(d: Path) -> Path:
        return mutate(base(d), d / "bad.safetensors", edit_header=edit_header,
                      edit_meta=edit_meta)

    return make


def _info(make: Callable[[Path], Path]) -> Callable[[Path], list[str]]:
    return lambda d: ["info", make(d)]


def _decode(make: Callable[[Path], Path]) -> Callable[[Path], list[str]]:
    return lambda d: ["decode", make(d), "--xy", "0,0", "--out", d / "o.png"]


def _nest(h: dict) -> str:
    import json

    return json.dumps(h)[:-1] + ', "deep": ' + "[" * 1000 + "]" * 1000 + "}"


def _train(*extra: str, data: str = "digits?limit=64") -> Callable[[Path], list[str]]:
    def setup(d: Path) -> list[str]:
        base(d, "M.safetensors")
        args = [a.replace("{d}", str(d)) for a in extra]
        return ["train", "--data", data.replace("{d}", str(d)), "--epochs", "1", "--quiet",
                "--out", d / "M.safetensors", *args]

    return setup


def _big_npy(d: Path) -> str:
    np.save(d / "big.npy", np.zeros((1, 4000, 4000), np.uint8))
    return f"npy:{d / 'big.npy'}"


def _folder_of_one(d: Path) -> str:
    png(d / "pics" / "a.png")
    return f"folder:{d / 'pics'}?size=512"


def _touch(d: Path, name: str = "afile") -> Path:
    (d / name).write_text("x")
    return d / name


def _model_named_png(d: Path) -> list[str]:
    m = base(d, "m.png")
    return ["decode", m, "--xy", "0,0", "--out", m]


CONFIG_MUTATIONS = {
    "latent-1e9": {"latent_dim": 10**9},
    "hidden-1e8": {"hidden": [10**8]},
    "input-1e5": {"input_shape": [1, 10**5, 10**5]},
    "cvae-classes-1e9": {"kind": "cvae", "n_classes": 10**9},
    "latent-2.5": {"latent_dim": 2.5},
    "latent-true": {"latent_dim": True},
    "latent-nan": {"latent_dim": math.nan},
    "latent-1e308": {"latent_dim": 1e308},
    "input-inf": {"input_shape": [1, math.inf, 8]},
    "hidden-str": {"hidden": "16"},
    "lr-nan": {"lr": math.nan},
    "beta-inf": {"beta": math.inf},
    "seed-negative": {"seed": -1},
    "epochs-str": {"epochs": "10"},
    "kind-list": {"kind": ["ae"]},
}

META_MUTATIONS: dict[str, Callable[[dict], object]] = {
    "meta-list": lambda m: [],
    "meta-string": lambda m: "x",
    "history-str": lambda m: m.update(history="abc"),
    "history-ints": lambda m: m.update(history=[1, 2]),
    "history-train-str": lambda m: m.update(history=[{"train": "x"}]),
    "history-loss-str": lambda m: m.update(history=[{"train": {"recon": "x"}}]),
    "history-val-list": lambda m: m.update(history=[{"train": {}, "val": [1]}]),
    "labels-ints": lambda m: m.update(label_names=[1, 2]),
    "labels-str": lambda m: m.update(label_names="0123"),
    "map-str": lambda m: m.update(map="umap"),
    "map-list": lambda m: m.update(map=[1]),
    "map-method-int": lambda m: m["map"].update(method=5),
    "map-points-str": lambda m: m["map"].update(n_points="x"),
    "config-none": lambda m: m.update(config=None),
    "config-str": lambda m: m.update(config="x"),
    "config-missing": lambda m: m.pop("config"),
    "spec-int": lambda m: m.update(data_spec=5),
    "version-str": lambda m: m.update(format_version="1"),
    "version-float": lambda m: m.update(format_version=1.5),
    "app-version-list": lambda m: m.update(app_version=[1]),
}

HEADER_MUTATIONS: dict[str, Callable[[dict], object]] = {
    "offset-none": lambda h: h["map.codes"]["data_offsets"].__setitem__(1, None),
    "offset-inf": lambda h: h["map.codes"]["data_offsets"].__setitem__(1, math.inf),
    "offset-str": lambda h: h["map.codes"]["data_offsets"].__setitem__(0, "0"),
    "offset-negative": lambda h: h["map.codes"]["data_offsets"].__setitem__(0, -8),
    "offset-huge": lambda h: h["map.codes"]["data_offsets"].__setitem__(1, 10**30),
    "offsets-three": lambda h: h["map.codes"].update(data_offsets=[0, 1, 2]),
    "tensor-list": lambda h: h.update({"map.codes": [1]}),
    "metadata-str": lambda h: h.update(__metadata__="x"),
    "metadata-list": lambda h: h.update(__metadata__=[1]),
    "metadata-value-int": lambda h: h["__metadata__"].update(latent_atlas=5),
    "nested-1000": _nest,
}


def _symlink_loop(d: Path) -> Path:
    os.symlink(d / "b.safetensors", d / "a.safetensors")
    os.symlink(d / "a.safetensors", d / "b.safetensors")
    return d / "a.safetensors"


def _cases() -> list[Case]:
    cases: list[Case] = []
    add = cases.append
    # 1. FIFOs and other special files, wherever a path enters.
    regular = ("not a regular file",)
    add(Case(1, "info-fifo", lambda d: ["info", fifo(d, "f.safetensors")], regular))
    add(Case(1, "decode-fifo", lambda d: ["decode", fifo(d, "f.safetensors"), "--xy", "0,0",
                                          "--out", d / "o.png"], regular))
    add(Case(1, "data-npz-fifo", lambda d: ["data", f"npz:{fifo(d, 'f.safetensors')}"], regular))
    add(Case(1, "image-fifo", lambda d: ["traverse", base(d), "--image", fifo(d, "f.png"),
                                         "--out", d / "o.png"], regular))
    add(Case(1, "mask-fifo", lambda d: ["inpaint", base(d), "--index", "0", "--mask",
                                        fifo(d, "f.png"), "--out", d / "o.png"], regular))
    add(Case(1, "info-dev-zero", lambda d: ["info", "/dev/zero"], regular))
    add(Case(1, "data-npy-dev-zero", lambda d: ["data", "npy:/dev/zero"], regular))

    def folder_fifo(d: Path) -> str:
        (d / "pics").mkdir()
        fifo(d / "pics", "x.png")
        return f"folder:{d / 'pics'}"

    add(Case(1, "data-folder-fifo", lambda d: ["data", folder_fifo(d)], regular))
    add(Case(1, "train-folder-fifo", lambda d: ["train", "--data", folder_fifo(d), "--epochs",
                                                "1", "--out", d / "t.safetensors"], regular))

    def idx_fifo(d: Path) -> str:
        (d / "idx").mkdir()
        fifo(d / "idx", "train-images-idx3-ubyte")
        return f"idx:{d / 'idx'}"

    add(Case(1, "data-idx-fifo", lambda d: ["data", idx_fifo(d)], ("no idx files",)))
    add(Case(3, "info-symlink-loop", lambda d: ["info", _symlink_loop(d)], ("symbolic links",)))
    add(Case(3, "data-symlink-loop", lambda d: ["data", f"npz:{_symlink_loop(d)}"],
             ("symbolic links",)))

    # 2. Configs are bounded before a network is built (info and decode alike).
    for name, values in CONFIG_MUTATIONS.items():
        make = _mutated(edit_meta=set_config(**values))
        add(Case(2, f"info-{name}", _info(make), ("config",)))
        add(Case(2, f"decode-{name}", _decode(make), ("config",)))
    too_big = ("too large",)
    add(Case(2, "train-latent-1e9", _train("--latent-dim", "1000000000"), ("latent_dim",),
             ("M.safetensors",)))
    add(Case(2, "train-hidden-1e8", _train("--arch", "mlp", "--hidden", "100000000,100000000"),
             too_big, ("M.safetensors",)))
    add(Case(2, "train-conv-hidden-1e8", _train("--hidden", "100000000"), too_big,
             ("M.safetensors",)))

    def big_image(d: Path) -> list[str]:
        return _train("--arch", "mlp", data=_big_npy(d))(d)

    add(Case(2, "train-mlp-4000px", big_image, too_big, ("M.safetensors",)))

    def folder_512(d: Path) -> list[str]:
        return _train("--arch", "mlp", data=_folder_of_one(d))(d)

    add(Case(2, "train-mlp-512px", folder_512, too_big, ("M.safetensors",)))

    # 3. Malformed headers and metadata: named, readable errors.
    for name, edit in HEADER_MUTATIONS.items():
        make = _mutated(edit_header=edit)
        add(Case(3, f"info-{name}", _info(make)))
        add(Case(3, f"decode-{name}", _decode(make)))
    for name, edit in META_MUTATIONS.items():
        make = _mutated(edit_meta=edit)
        add(Case(3, f"info-{name}", _info(make)))
        add(Case(3, f"decode-{name}", _decode(make)))

    # 4. Outputs are checked before any work; input and output are never the same file.
    for name, out in (("under-a-file", "{d}/afile/t.safetensors"),
                      ("dev-null", "/dev/null/t.safetensors"),
                      ("a-folder", "{d}/folder.safetensors"),
                      ("proc", "/proc/t.safetensors")):
        def setup(d: Path, out=out) -> list[str]:
            _touch(d)
            (d / "folder.safetensors").mkdir()
            return ["train", "--data", "digits?limit=64", "--epochs", "1",
                    "--out", out.replace("{d}", str(d))]

        add(Case(4, f"train-out-{name}", setup))
    add(Case(4, "train-pair-out-under-a-file",
             lambda d: ["train-pair", "--data", "digits?limit=64", "--epochs", "1",
                        "--out", _touch(d) / "p"]))
    add(Case(4, "decode-out-under-a-file",
             lambda d: ["decode", base(d), "--xy", "0,0", "--out", _touch(d) / "o.png"]))
    add(Case(4, "decode-out-dev-null",
             lambda d: ["decode", base(d), "--xy", "0,0", "--out", "/dev/null/o.png"]))
    add(Case(4, "decode-out-proc",
             lambda d: ["decode", base(d), "--xy", "0,0", "--out", "/proc/o.png"]))
    add(Case(4, "decode-out-is-input", _model_named_png, ("same file",), ("m.png",)))
    for command, extra in (("traverse", ["--index", "0"]), ("denoise", ["--index", "0", "--level",
                                                                         "0.3"]),
                           ("inpaint", ["--index", "0", "--rect", "0,0,3,3"]),
                           ("anomalies", []), ("retrieve", ["--index", "0"]),
                           ("interpolate", ["--from", "0", "--to", "1"])):
        add(Case(4, f"{command}-out-under-a-file",
                 lambda d, c=command, e=extra: [c, base(d), *e, "--out", _touch(d) / "o.png"]))

    # 5. Non-finite hyper-parameters are refused up front; the old model stays.
    for name, extra in (("lr-inf", ["--lr", "inf"]), ("lr-nan", ["--lr", "nan"]),
                        ("beta-nan", ["--beta", "nan"]), ("beta-inf", ["--beta", "inf"]),
                        ("weight-decay-inf", ["--weight-decay", "inf"]),
                        ("sae-inf", ["--model", "sae", "--sparsity-weight", "inf"]),
                        ("sae-nan", ["--model", "sae", "--sparsity-target", "nan"]),
                        ("cae-nan", ["--model", "cae", "--contractive-weight", "nan"]),
                        ("cae-inf", ["--model", "cae", "--contractive-weight", "inf"]),
                        ("aae-inf", ["--model", "aae", "--adversarial-weight", "inf"]),
                        ("aae-nan", ["--model", "aae", "--adversarial-weight", "nan"]),
                        ("dae-nan", ["--model", "dae", "--noise-level", "nan"])):
        add(Case(5, f"train-{name}", _train(*extra), ("finite",), ("M.safetensors",)))

    # 6. Label values and declared array sizes are bounded before memory is taken.
    def huge_labels(d: Path) -> list[str]:
        np.savez(d / "lh.npz", x=np.zeros((200, 8, 8), np.uint8), y=np.full(200, 10**12))
        return ["data", f"npz:{d / 'lh.npz'}"]

    def idx_huge_labels(d: Path) -> list[str]:
        (d / "idx").mkdir()
        idx_images(d / "idx" / "train-images-idx3-ubyte", 3)
        idx_labels(d / "idx" / "train-labels-idx1-ubyte", np.array([0, 1, 2**31 - 1]))
        return ["data", f"idx:{d / 'idx'}"]

    add(Case(6, "npz-label-1e12", huge_labels, ("labels",)))
    add(Case(6, "idx-label-2e31", idx_huge_labels, ("labels",)))
    add(Case(6, "npz-declares-1e12-images",
             lambda d: ["data", f"npz:{npz_declaring(d / 'a.npz', (10**12, 28, 28))}"],
             too_big))
    add(Case(6, "npz-declares-3e6-images",
             lambda d: ["data", f"npz:{npz_declaring(d / 'a.npz', (3_000_000, 32, 32))}"],
             too_big))

    # 7. Picture bombs through --image and --mask.
    add(Case(7, "traverse-image-bomb", lambda d: ["traverse", base(d), "--image",
                                                  png_bomb(d / "b.png"), "--out", d / "o.png"],
             too_big))
    add(Case(7, "inpaint-mask-bomb", lambda d: ["inpaint", base(d), "--index", "0", "--mask",
                                                png_bomb(d / "b.png"), "--out", d / "o.png"],
             too_big))
    add(Case(7, "denoise-image-bomb", lambda d: ["denoise", base(d), "--image",
                                                 png_bomb(d / "b.png"), "--level", "0.3",
                                                 "--out", d / "o.png"], too_big))

    # 9. NaN never silently becomes black.
    def nan_weights(d: Path) -> list[str]:
        from latent_atlas.models.modelfile import read_model_file, write_model_file

        mf = read_model_file(base(d))
        arrays = {k: (np.full_like(v, np.nan) if k.startswith("model.") else v)
                  for k, v in mf.arrays.items()}
        write_model_file(d / "nan.safetensors", mf.meta, arrays)
        return ["decode", d / "nan.safetensors", "--xy", "0,0", "--out", d / "o.png"]

    add(Case(9, "decode-nan-weights", nan_weights, ("nan",)))
    add(Case(9, "decode-xy-inf", lambda d: ["decode", base(d), "--xy", "inf,0", "--out",
                                            d / "o.png"], ("finite",)))
    add(Case(9, "traverse-xy-nan", lambda d: ["traverse", base(d), "--xy", "nan,0",
                                              "--out", d / "o.png"], ("finite",)))

    # 11. Minor: options read as values, sizes bounded up front.
    add(Case(11, "inpaint-rect-negative", lambda d: ["inpaint", base(d), "--index", "0",
                                                     "--rect", "-5,-5,3,3", "--out",
                                                     d / "o.png"], ("outside",)))
    add(Case(11, "compare-samples-1e8", lambda d: ["compare", base(d), base(d, "b.safetensors"),
                                                   "--samples", "100000000"], ("--samples",)))
    add(Case(11, "compare-pairs-1e8", lambda d: ["compare", base(d), base(d, "b.safetensors"),
                                                 "--pairs", "100000000"], ("--pairs",)))
    add(Case(11, "data-shapes-2e6", lambda d: ["data", "shapes:2000000?size=256"], too_big))
    add(Case(11, "data-limit-negative", lambda d: ["data", "digits", "--limit", "-1"]))
    add(Case(11, "interpolate-steps-huge", lambda d: ["interpolate", base(d), "--from", "0",
                                                      "--to", "1", "--steps", "10000000",
                                                      "--out", d / "o.png"]))

    # 13. The course's commands (issue 13): bad numbers are one line, before any work.
    course = (
        ("compress-bits-0", ["compress", "{m}", "--bits", "0"], ("--bits",)),
        ("compress-bits-nan", ["compress", "{m}", "--bits", "nan"], ("--bits",)),
        ("compress-images-1", ["compress", "{m}", "--bits", "2", "--images", "1"], ("--images",)),
        ("probe-labels-0", ["probe", "{m}", "--labels", "0%"], ("--labels",)),
        ("probe-labels-word", ["probe", "{m}", "--labels", "half"], ("--labels",)),
        ("probe-wrong-size", ["probe", "{m}", "--data", "shapes:64"], ("8×8×1",)),
        ("denoise-sweep-levels-nan", ["denoise", "{m}", "--sweep", "--levels", "nan"],
         ("sigma",)),
        ("denoise-sweep-limit-1", ["denoise", "{m}", "--sweep", "--limit", "1"], ("--limit",)),
        ("traverse-strength-1e308", ["traverse", "{m}", "--index", "0", "--direction", "1:7",
                                     "--strengths", "1e308", "--out", "{d}/o.png"], ("±1000",)),
        ("measure-strength-inf", ["traverse", "{m}", "--direction", "1:7", "--measure",
                                  "--strengths", "inf"], ("finite",)),
        ("measure-same-label", ["traverse", "{m}", "--direction", "3:3", "--measure"],
         ("two different",)),
        ("compare-probe-labels-150", ["compare", "{m}", "{m}", "--probe-labels", "150%"],
         ("--probe-labels",)),
    )
    for name, argv, needles in course:
        def setup(d: Path, argv=argv) -> list[str]:
            m = str(base(d))
            return [a.replace("{m}", m).replace("{d}", str(d)) for a in argv]

        add(Case(13, name, setup, needles))
    def unlabelled(d: Path) -> list[str]:
        np.savez(d / "u.npz", x=np.zeros((64, 8, 8), np.uint8))
        return ["probe", str(base(d)), "--data", f"npz:{d / 'u.npz'}"]

    add(Case(13, "probe-unlabelled", unlabelled, ("no labels",)))
    add(Case(13, "compress-max-unpool", lambda d: [
        "compress", base(d, "mu.safetensors", arch="conv", hidden=(8, 16), upsample="max-unpool",
                         downsample="max")], ("switches",)))
    add(Case(13, "train-mlp-upsample", _train("--arch", "mlp", "--upsample", "nearest"),
             ("an MLP has none",), ("M.safetensors",)))
    add(Case(13, "train-unpool-stride", _train("--upsample", "max-unpool", "--downsample",
                                               "stride"), ("--downsample max",),
             ("M.safetensors",)))

    # 26. First contact: every value the help bounds is refused before any work.
    def resume_negative(d: Path) -> list[str]:
        base(d, "R.safetensors")
        return ["train", "--resume", d / "R.safetensors", "--epochs", "-3", "--quiet"]

    first_contact = (
        ("train-epochs-0", ["train", "--epochs", "0", "--out", "{d}/M.safetensors"],
         ("--epochs", "at least 1")),
        ("train-pair-epochs-0", ["train-pair", "--epochs", "0", "--out", "{d}/P"],
         ("--epochs", "at least 1")),
        ("sweep-epochs-0", ["sweep", "--epochs", "0", "--out", "{d}/s.png"], ("--epochs",)),
        ("train-dae-noise-level-5", ["train", "--model", "dae", "--noise-level", "5", "--out",
                                     "{d}/M.safetensors"], ("--noise-level", "0 to 1")),
        ("denoise-level-5", ["denoise", "{m}", "--index", "0", "--level", "5"],
         ("--level", "0 to 1")),
        ("denoise-level-nan", ["denoise", "{m}", "--index", "0", "--level", "nan"], ("--level",)),
        ("denoise-sweep-levels-2", ["denoise", "{m}", "--sweep", "--levels", "0.1,2"],
         ("--levels", "0 to 1")),
        ("inpaint-rect-past-edge", ["inpaint", "{m}", "--index", "0", "--rect", "4,4,10,10",
                                    "--out", "{d}/o.png"], ("outside", "8x8")),
        ("compare-json-markdown", ["compare", "{m}", "{m}", "--json", "--markdown"],
         ("not allowed",)),
        ("compress-json-markdown", ["compress", "{m}", "--json", "--markdown"], ("not allowed",)),
        ("probe-json-markdown", ["probe", "{m}", "--json", "--markdown"], ("not allowed",)),
        ("sweep-json-markdown", ["sweep", "--json", "--markdown"], ("not allowed",)),
        ("measure-json-markdown", ["traverse", "{m}", "--direction", "1:7", "--measure",
                                   "--json", "--markdown"], ("not allowed",)),
        ("command-misspelt", ["trian", "--data", "digits", "--epochs", "1", "--out",
                              "{d}/M.safetensors"], ("did you mean 'train'",)),
        ("command-misspelt-with-file", ["projct", "{m}"], ("did you mean 'project'",)),
        ("gui-missing-model-file", ["{d}/gone.safetensors"], ("no such model file",)),
    )
    for name, argv, needles in first_contact:
        def setup(d: Path, argv=argv) -> list[str]:
            m = str(base(d))
            return [a.replace("{m}", m).replace("{d}", str(d)) for a in argv]

        add(Case(26, name, setup, needles))
    add(Case(26, "compare-shapes-differ", lambda d: [
        "compare", base(d), base(d, "big.safetensors", input_shape=(1, 32, 32), with_map=False,
                                data_spec="shapes:64")], ("takes 8×8×1 images but",)))
    add(Case(26, "train-resume-epochs-negative", resume_negative, ("--epochs",),
             ("R.safetensors",)))
    # issue 20: a model whose data moved says where the path came from and how to point
    # elsewhere, in every command that opens a model with its data
    for command in ("anomalies", "project", "probe", "export"):
        def moved(d: Path, command=command) -> list[str]:
            gone = d / "moved-away" / "data.npz"
            m = base(d, "moved.safetensors", data_spec=f"npz:{gone}")
            out = (["--format", "projector", "--out", str(d / "proj")] if command == "export"
                   else [])
            return [command, str(m), *out]

        add(Case(20, f"moved-data-{command}", moved, ("not there any more", "--data")))
    _own_model_cases(add)
    return cases


USER_MODELS = Path(__file__).resolve().parents[1] / "user_models.py"


def _python(factory: str, *, file: Path | None = None,
            labelled: bool = False) -> Callable[[Path], list[str]]:
    def setup(d: Path) -> list[str]:
        # a small npz, not digits: no scikit-learn import per case (labels 0..9 if asked)
        x = np.random.default_rng(0).integers(0, 256, (20, 1, 8, 8), dtype=np.uint8)
        if labelled:
            np.savez(d / "x.npz", x=x, y=np.arange(20) % 10)
        else:
            np.savez(d / "x.npz", x=x)
        return ["decode", "--python", f"{file or USER_MODELS}:{factory}", "--data",
                f"npz:{d / 'x.npz'}", "--xy", "0,0", "--out", d / "o.png"]

    return setup


def _syntax_error(d: Path) -> list[str]:
    (d / "broken.py").write_text("def make(:\n    pass\n")
    return _python("make", file=d / "broken.py")(d)


def _onnx_two_inputs(d: Path) -> list[str]:
    import importlib.util
    import warnings

    import torch

    if importlib.util.find_spec("onnx") is None:  # torch cannot write ONNX without it: the
        return _onnx_garbage(d)  # case then checks the "install the onnx extra" answer

    class TwoInputs(torch.nn.Module):
        def forward(self, x, t):
            return x.flatten(1)[:, :4] + t

    folder = d / "pair"
    folder.mkdir()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(TwoInputs(), (torch.rand(2, 1, 8, 8), torch.rand(2, 4)),
                          str(folder / "encoder.onnx"), dynamo=False)
        torch.onnx.export(torch.nn.Linear(4, 64), (torch.rand(2, 4),),
                          str(folder / "decoder.onnx"), dynamo=False)
    return ["anomalies", folder, "--data", _small_npz(d)]


def _small_npz(d: Path) -> str:
    np.savez(d / "x.npz", x=np.zeros((20, 1, 8, 8), np.uint8))
    return f"npz:{d / 'x.npz'}"


def _onnx_garbage(d: Path) -> list[str]:
    folder = d / "pair"
    folder.mkdir()
    for name in ("encoder.onnx", "decoder.onnx"):
        (folder / name).write_bytes(b"\x00not onnx at all" * 10)
    return ["anomalies", folder, "--data", _small_npz(d)]


def _own_model_cases(add: Callable[[Case], None]) -> None:
    """Issue 21: models of your own (`--python` factories, ONNX pairs) that cannot work."""
    for name, factory, needles in (
            ("python-factory-raises", "make_raises", ("raised RuntimeError", "line")),
            ("python-wrong-output-shape", "make_wrong_shape", ("1 x 8 x 8 images",)),
            ("python-encoder-decoder-misfit", "make_misfit", ("does not take the encoder",)),
            ("python-nan-output", "make_nan", ("NaN",)),
            ("python-logits-output", "make_logits", ("outside [0, 1]", "--logits")),
            ("python-not-a-model", "make_nothing", ("cannot use",)),
            ("python-no-such-factory", "nope", ("has no 'nope'",))):
        add(Case(21, name, _python(factory), needles))
    # conditional models of your own: a declared conditioning that does not fit
    for name, factory, labelled, needles in (
            ("conditional-undeclared", "make_cvae_undeclared", False,
             ("declare them: conditioning=",)),
            ("conditional-unlabelled-data", "make_cvae", False, ("needs labelled data",)),
            ("conditional-too-few-classes", "make_cvae_too_few_classes", True,
             ("labels up to 9", "declares 3 classes")),
            ("conditional-encoder-takes-no-label", "make_cvae_encoder_not_conditional", True,
             ("encode(x, y)", "'encoder': False")),
            ("conditional-wrong-label-form", "make_cvae_wrong_form", True, ("('form')",)),
            ("conditional-bad-declaration", "make_cvae_bad_declaration", True,
             ("'form' is 'index'",))):
        add(Case(21, f"python-{name}", _python(factory, labelled=labelled), needles))
    add(Case(21, "python-info-without-data",
             lambda d: ["info", "--python", f"{USER_MODELS}:make_ae"], ("give the data",)))
    add(Case(21, "python-no-such-file", _python("make", file=Path("/no/such/file.py")),
             ("no such Python file",)))
    add(Case(21, "python-syntax-error", _syntax_error, ("failed when it ran", "SyntaxError")))
    # onnx: either the graph's fault, or (without the extra) what to install
    add(Case(21, "onnx-wrong-inputs", _onnx_two_inputs, ("onnx",)))
    add(Case(21, "onnx-not-onnx", _onnx_garbage, ("onnx",)))


CASES = _cases()
