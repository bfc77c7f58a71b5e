"""A Jupyter kernel with Qt event-loop integration (`%gui qt`) opens a viewer, reads and sets
its selection, takes a screenshot, and answers the next cell while the window is open."""

from __future__ import annotations

import os

import pytest

jupyter_client = pytest.importorskip("jupyter_client", reason="jupyter_client comes with the test extras")
pytest.importorskip("ipykernel", reason="ipykernel comes with the test extras")


def _run(kc, code: str, timeout: float = 300) -> str:
    out: list[str] = []

    def hook(msg) -> None:
        kind, content = msg["msg_type"], msg["content"]
        if kind == "stream":
            out.append(content["text"])
        elif kind in ("execute_result", "display_data"):
            out.append(content["data"].get("text/plain", ""))
        elif kind == "error":
            out.append("ERROR " + content["ename"] + ": " + content["evalue"])

    reply = kc.execute_interactive(code, timeout=timeout, output_hook=hook)
    text = "".join(out)
    assert reply["content"]["status"] == "ok", text
    return text


# Run in the kernel when the viewer is not ready in time: what it is still waiting for.
_PENDING = """if not ok:
    w = v.window
    print("opening:", w.opening(), "adding panels:", w.adding_panels())
    for s in w.workspace.sessions:
        print("decoder:", s.decoder is not None, "map:", s.latent_map is not None,
              "jobs running:", [j.name for j in s.jobs.running()])
"""


@pytest.mark.slow
def test_a_kernel_with_gui_qt_keeps_answering_while_a_viewer_is_open(tmp_path):
    from jupyter_client.manager import start_new_kernel

    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    km, kc = start_new_kernel(kernel_name="python3", env=env, cwd=str(tmp_path))
    try:
        _run(kc, "%gui qt")
        ready = _run(kc, "import latent_atlas as la\nv = la.show()\nok = v.wait_ready(240)\n"
                         + _PENDING + "print(ok)")
        assert ready.strip().endswith("True"), ready  # else it says what was still pending
        assert "[2, 5]" in _run(kc, "v.selection = [5, 2]\nprint(v.selection)")
        shot = tmp_path / "viewer.png"
        _run(kc, f"v.screenshot({str(shot)!r})")
        assert shot.stat().st_size > 10_000
        # the window is still open and the kernel answers the next cell (run() does not block)
        assert "True 42" in _run(kc, "la.run()\nprint(v.window.isVisible(), 6 * 7)", timeout=60)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
