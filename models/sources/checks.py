"""The error of a model Latent Atlas cannot explore as it is (what `latent_atlas.explorer.core.model_check`
raises when it probes a source, and the adapters raise for what they are handed)."""

from __future__ import annotations


class BadModelError(ValueError):
    """A model that cannot be explored as it is; the message says why and what to do."""
