"""Data sources: one spec string names a dataset everywhere (CLI, GUI, model files).

    load_data("digits")                      -> ImageSet
    load_data("folder:faces?size=64&channels=3")

Each source lives in its own module and registers a loader with `@source("name")`.
"""

from __future__ import annotations

from .base import (
    DataError,
    DataSpec,
    ImageSet,
    load_data,
    parse_spec,
    source,
    source_names,
    source_options,
)

__all__ = ["DataError", "DataSpec", "ImageSet", "load_data", "parse_spec", "source", "source_names",
           "source_options"]
