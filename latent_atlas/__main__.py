"""`python -m latent_atlas`: the `latent-atlas` command."""

from latent_atlas.explorer.cli import main

raise SystemExit(main())
