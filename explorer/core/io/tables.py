"""Tables as text for the terminal or as markdown, one way for every command."""

from __future__ import annotations

from collections.abc import Sequence


def render_table(head: Sequence[str], body: Sequence[Sequence[str]], *, markdown: bool = False,
                 first_left: bool = False) -> str:
    """`head` and the rows of `body` as a markdown table, or as columns padded to their
    widest cell and joined by two spaces (right-aligned; the first left-aligned with
    `first_left`)."""
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in body])
    widths = [max(len(h), *(len(row[k]) for row in body)) for k, h in enumerate(head)]
    fmt = "  ".join(f"{{:<{w}}}" if k == 0 and first_left else f"{{:>{w}}}"
                    for k, w in enumerate(widths))
    return "\n".join([fmt.format(*head)] + [fmt.format(*row) for row in body])
