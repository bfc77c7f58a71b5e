#!/usr/bin/env bash
# Rebuilds the bundled 2-D digits pair (Model ▸ Open the 2-D digits pair): an AE and a VAE
# with a 2-D latent, identical but for the kind; `train-pair --latent-dim 2` stores each
# with its identity map (the map is the latent), so the compare view opens them with the
# decoded manifold grid. Run from the project root:  bash resources/models/make_bundled_2d.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
ARCH=${ARCH:-mlp}
HIDDEN=${HIDDEN:-128,64}
latent-atlas train-pair --data digits --arch "$ARCH" --latent-dim 2 --hidden "$HIDDEN" \
  --epochs 60 --batch-size 64 --lr 2e-3 --seed 0 --device cpu --quiet \
  --out resources/models/digits2d
for kind in ae vae; do
  latent-atlas info "resources/models/digits2d_${kind}.safetensors"
  latent-atlas decode "resources/models/digits2d_${kind}.safetensors" --grid 20 --scale 2 \
    --out "/tmp/digits2d_${kind}_grid.png"
done
