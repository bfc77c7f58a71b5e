#!/usr/bin/env bash
# Rebuilds the bundled digits models the app opens by default: an AE and a VAE with the
# identical architecture, latent size, data and seed, each with its stored UMAP map.
# Run from the project root:  bash resources/models/make_bundled.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
common=(--data digits --arch conv --latent-dim 8 --hidden 32,64 --epochs 60 --batch-size 64
        --lr 2e-3 --seed 0 --device cpu --quiet)
for kind in ae vae; do
  out=resources/models/digits_${kind}.safetensors
  latent-atlas train --model "$kind" "${common[@]}" --out "$out"
  latent-atlas project "$out" --method umap --seed 0 --quiet
  latent-atlas info "$out"
done
