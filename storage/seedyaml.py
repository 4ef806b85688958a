"""Lossless YAML for seed records: timestamps stay the strings the seed wrote.

PyYAML's safe loader turns ``2021-04-29T20:46:00Z`` into a datetime and would write it back as
``2021-04-29 20:46:00+00:00``; these loader and dumper classes leave timestamps as plain text, so a
record read and written again keeps its keys, their order and their values' own form.
"""

from __future__ import annotations

from typing import Any

import yaml
from frontmatter.default_handlers import YAMLHandler

from storage.yaml_block import BlockYAML, Unsupported

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def _without_timestamps(resolvers: dict[Any, list[Any]]) -> dict[Any, list[Any]]:
    return {
        first: [(tag, regexp) for tag, regexp in entries if tag != "tag:yaml.org,2002:timestamp"]
        for first, entries in resolvers.items()
    }


class SeedLoader(_Loader):  # type: ignore[misc,valid-type]
    """Safe loader that keeps timestamps as strings."""


class SeedDumper(_Dumper):  # type: ignore[misc,valid-type]
    """Safe dumper that writes timestamp-like strings plain, as the seed had them."""


SeedLoader.yaml_implicit_resolvers = _without_timestamps(SeedLoader.yaml_implicit_resolvers)
SeedDumper.yaml_implicit_resolvers = _without_timestamps(SeedDumper.yaml_implicit_resolvers)


def load_yaml(text: str) -> Any:
    return yaml.load(text, Loader=SeedLoader)


_BLOCK = BlockYAML(SeedDumper.yaml_implicit_resolvers)


def dump_yaml(data: Any) -> str:
    """Block-style YAML of ``data``, written directly when it can be (``storage.yaml_block``), same text."""
    try:
        return _BLOCK.dump(data)
    except Unsupported:
        pass
    return str(
        yaml.dump(
            data, Dumper=SeedDumper, sort_keys=False, allow_unicode=True, default_flow_style=False, width=1_000_000
        )
    )


class SeedYAMLHandler(YAMLHandler):
    """python-frontmatter handler using the lossless loader and dumper."""

    def load(self, fm: str, **kwargs: object) -> Any:
        return load_yaml(fm)

    def export(self, metadata: dict[str, object], **kwargs: object) -> str:
        return dump_yaml(metadata).strip()
