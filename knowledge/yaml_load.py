"""YAML reading for the knowledge room: libyaml's C loader when PyYAML was built with it (several
times faster; the knowledge base, the lexicon and the examples are read at every start), else
the pure-Python one. Both are the safe loader: plain data only."""

from __future__ import annotations

from pathlib import Path

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(stream):
    return yaml.load(stream, Loader=_LOADER)  # noqa: S506 - a safe loader, C or Python


def yaml_files(folder: Path | None) -> list[Path]:
    """The YAML files of `folder` in name order; none when it is None or absent (the written
    examples' folders: every file in them is read, whoever wrote it)."""
    return sorted(folder.glob("*.yaml")) if folder is not None and folder.is_dir() else []
