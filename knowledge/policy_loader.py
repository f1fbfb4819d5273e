"""Versioned policy files with sources: `knowledge/policy/<name>_<version>.yaml`.

A policy is data (a season, a rule's parameters, the source of each rule), so a new season or a
new regulation is a new file, never a code change. `load_policy(name)` picks the newest version;
versions compare naturally ("1448.10" > "1448.9" > "1448.1"), so name them `<season>.<revision>`
or by date (`2026-11-20`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from knowledge.yaml_load import safe_load

POLICY_DIR = Path(__file__).with_name("policy")
_PART = re.compile(r"(\d+)")


class PolicyError(ValueError):
    """A policy file that is missing or malformed (names the file and the problem)."""


def _version_key(version: str) -> tuple:
    # Numbers compare as numbers, text as text; (0, n) sorts before (1, s) so "2" < "2a".
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in _PART.split(version) if p)


def list_versions(name: str, directory: Path | str | None = None) -> list[str]:
    """Every version of policy `name` in `directory`, oldest first."""
    folder = Path(directory) if directory is not None else POLICY_DIR
    prefix = f"{name}_"
    versions = [
        p.name[len(prefix):-len(".yaml")]
        for p in folder.glob(f"{name}_*.yaml")
        if p.is_file() and p.name.startswith(prefix)
    ]
    return sorted(versions, key=_version_key)


def load_policy(name: str, version: str | None = None,
                directory: Path | str | None = None) -> dict[str, Any]:
    """The policy `name` at `version` (default: the newest file) as a plain dict.

    The dict always holds `name` and `version` (the file's own `version`, which must match the
    file name, so a copied file cannot pretend to be another version) and `sources`
    (key -> description; each rule's `source` names one or more of these keys).
    """
    folder = Path(directory) if directory is not None else POLICY_DIR
    if version is None:
        versions = list_versions(name, folder)
        if not versions:
            raise PolicyError(f"no policy file {name}_<version>.yaml in {folder}")
        version = versions[-1]
    path = folder / f"{name}_{version}.yaml"
    if not path.is_file():
        raise PolicyError(f"policy file not found: {path}")
    try:
        data = safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise PolicyError(f"{path.name}: not valid YAML ({exc})") from exc
    if not isinstance(data, dict):
        raise PolicyError(f"{path.name}: the top level must be a mapping")
    declared = str(data.get("version", ""))
    if declared != version:
        raise PolicyError(f"{path.name}: declares version {declared!r}, file name says {version!r}")
    if data.get("name", name) != name:
        raise PolicyError(f"{path.name}: declares name {data.get('name')!r}, expected {name!r}")
    data["name"] = name
    data["version"] = declared
    sources = data.setdefault("sources", {})
    if not isinstance(sources, dict):
        raise PolicyError(f"{path.name}: `sources` must be a mapping of key -> description")
    _check_sources(path.name, data, set(sources))
    return data


def _check_sources(filename: str, node: Any, known: set[str], where: str = "") -> None:
    """Every `source:` inside the policy names keys defined under `sources` (no unsourced rule)."""
    if isinstance(node, dict):
        for key, value in node.items():
            here = f"{where}.{key}" if where else str(key)
            if key == "source" and where != "sources":
                refs = value if isinstance(value, list) else [value]
                missing = [r for r in refs if r not in known]
                if missing or not refs:
                    raise PolicyError(f"{filename}: {here} cites unknown source(s) {missing}")
            elif key != "sources" or where:
                _check_sources(filename, value, known, here)
    elif isinstance(node, list):
        for i, item in enumerate(node):
            _check_sources(filename, item, known, f"{where}[{i}]")
