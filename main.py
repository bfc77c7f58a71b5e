"""Launcher: `python main.py` does exactly what the `latent-atlas` command does."""

import sys

from latent_atlas.explorer.cli import main

if __name__ == "__main__":
    sys.exit(main())
