"""One table renderer for the commands (latent_atlas.explorer.core.io.tables)."""

from latent_atlas.explorer.core.io.tables import render_table


def test_text_and_markdown_tables():
    head, body = ["name", "n"], [["a", "10"], ["long name", "2"]]
    assert render_table(head, body) == "     name   n\n        a  10\nlong name   2"
    assert render_table(head, body, first_left=True) == (
        "name        n\na          10\nlong name   2")
    assert render_table(head, body, markdown=True) == (
        "| name | n |\n|---|---|\n| a | 10 |\n| long name | 2 |")
