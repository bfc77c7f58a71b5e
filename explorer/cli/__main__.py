import sys

from latent_atlas.explorer.cli import main

sys.exit(main())
