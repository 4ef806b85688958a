"""Lossless YAML for seed records: timestamps stay the strings the seed wrote.

PyYAML's safe loader turns ``2021-04-29T20:46:00Z`` into a datetime and would write it back as
``2021-04-29 20:46:00+00:00``; these loader and dumper classes leave timestamps as plain text, so a
record read and written again keeps its keys, their order and their values' own form.
"""

from __future__ import annotations

import operator
import re
from typing import Any

import yaml
from frontmatter.default_handlers import YAMLHandler
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from storage.yaml_block import BlockYAML, Unsupported

_BOUNDARY = YAMLHandler.FM_BOUNDARY  # a line of three or more dashes

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def _without_timestamps(resolvers: dict[Any, list[Any]]) -> dict[Any, list[Any]]:
    return {
        first: [(tag, regexp) for tag, regexp in entries if tag != "tag:yaml.org,2002:timestamp"]
        for first, entries in resolvers.items()
    }


_STR, _SEQ, _MAP, _INT, _BOOL, _NULL = (
    f"tag:yaml.org,2002:{kind}" for kind in ("str", "seq", "map", "int", "bool", "null"))
_DECIMAL = re.compile(r"[-+]?(?:0|[1-9][0-9]*)", re.ASCII)
_BUILDING, _MISSING = object(), object()


class _NotPlain(Exception):
    """A node the quick builder leaves to PyYAML's constructor (a cycle of aliases, a non-string key...)."""


class SeedLoader(_Loader):  # type: ignore[misc,valid-type]
    """Safe loader that keeps timestamps as strings.

    Seed records are mappings, lists and strings, and PyYAML's pure-Python resolver and constructor
    cost more than libyaml's parsing: plain scalars are resolved through a table made once, and
    mappings, lists, strings, plain decimal integers, booleans and nulls are built directly. Every
    other node (other numbers, explicit tags, merge keys, recursive aliases) goes to PyYAML's safe
    constructor, so the result is
    what ``yaml.load`` with the safe loader gives (``tests/test_seeds.py`` compares them).

    The loader has no path resolvers (``add_path_resolver``), so resolving ignores node paths, and
    the composer's calls around every node that track the path do nothing: they are a builtin that
    ignores its arguments, cheaper than PyYAML's methods that return at once.
    """

    descend_resolver = staticmethod(operator.is_)  # (parent, index) -> ignored
    ascend_resolver = staticmethod(tuple)  # () -> ignored

    def resolve(self, kind: type[Node], value: Any, implicit: Any) -> Any:
        """PyYAML's resolution without path resolvers: a plain scalar by the table, a quoted one is a
        string, a collection by its kind (``implicit`` is (plain, quoted) for a scalar, a bool otherwise)."""
        if kind is ScalarNode:
            if implicit[0]:
                for tag, regexp in _IMPLICIT.get(value[:1], _WILDCARD):
                    if regexp.match(value):
                        return tag
            return _STR
        return _SEQ if kind is SequenceNode else _MAP

    def construct_document(self, node: Node) -> Any:
        try:
            data = self._build(node, {})
        except (_NotPlain, RecursionError):
            return super().construct_document(node)
        self.constructed_objects: dict[Node, Any] = {}
        return data

    def _build(self, node: Node, built: dict[Node, Any]) -> Any:
        """The value of ``node``; ``built`` holds every collection and non-string scalar built so far
        (an alias is the same node again, and gets the same object, as PyYAML shares it)."""
        tag, kind = node.tag, type(node)
        if kind is ScalarNode and tag == _STR:
            return node.value  # the same string object for an alias too: no need to remember it
        value: Any = built.get(node, _MISSING)
        if value is not _MISSING:
            if value is _BUILDING:
                raise _NotPlain("recursive alias")
            return value
        if tag == _MAP and kind is MappingNode:
            built[node] = _BUILDING
            value = self._build_mapping(node, built)
        elif tag == _SEQ and kind is SequenceNode:
            built[node] = _BUILDING
            value = [self._build(item, built) for item in node.value]
        elif kind is not ScalarNode:
            value = self.construct_object(node, deep=True)
        elif tag == _INT and _DECIMAL.fullmatch(node.value):
            value = int(node.value)  # what construct_yaml_int gives a plain decimal (no 0x, 0o, _ or 1:30)
        elif tag == _NULL:
            value = None
        elif tag == _BOOL and node.value.lower() in self.bool_values:
            value = self.bool_values[node.value.lower()]
        else:
            value = self.construct_object(node, deep=True)
        built[node] = value
        return value

    def _build_mapping(self, node: Node, built: dict[Node, Any]) -> dict[str, Any]:
        mapping: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag != _STR or type(key_node) is not ScalarNode:
                raise _NotPlain("key that is not a plain string")  # merge keys too
            if value_node.tag == _STR and type(value_node) is ScalarNode:
                mapping[key_node.value] = value_node.value  # the common case, without a call
            else:
                mapping[key_node.value] = self._build(value_node, built)
        return mapping


class SeedDumper(_Dumper):  # type: ignore[misc,valid-type]
    """Safe dumper that writes timestamp-like strings plain, as the seed had them."""


SeedLoader.yaml_implicit_resolvers = _without_timestamps(SeedLoader.yaml_implicit_resolvers)
SeedDumper.yaml_implicit_resolvers = _without_timestamps(SeedDumper.yaml_implicit_resolvers)
_WILDCARD: tuple[tuple[str, Any], ...] = tuple(SeedLoader.yaml_implicit_resolvers.get(None, ()))
_IMPLICIT = {first: (*entries, *_WILDCARD) for first, entries in SeedLoader.yaml_implicit_resolvers.items() if first}
_IMPLICIT[""] = (*SeedLoader.yaml_implicit_resolvers.get("", ()), *_WILDCARD)


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


def split_front_matter(text: str) -> tuple[str, str]:
    """The front matter and the rest, as python-frontmatter's YAML handler splits them; ValueError without.

    The library splits on its boundary pattern (a line of three or more dashes), tried at every
    character of the text; here it is tried only where a line starts with "---".
    """
    bounds: list[re.Match[str]] = []
    at = 0
    while len(bounds) < 2:
        start = text.find("---", at)
        if start < 0:
            raise ValueError("no front matter: fewer than two '---' lines")
        found = _BOUNDARY.match(text, start) if start == 0 or text[start - 1] == "\n" else None
        if found is None:
            at = start + 1
        else:
            bounds.append(found)
            at = found.end()
    return text[bounds[0].end():bounds[1].start()], text[bounds[1].end():]


class SeedYAMLHandler(YAMLHandler):
    """python-frontmatter handler using the lossless loader and dumper."""

    def split(self, text: str) -> tuple[str, str]:
        """The front matter and the rest, as python-frontmatter splits them (see ``split_front_matter``);
        without two boundaries the library's own split runs, so the error is the same."""
        try:
            return split_front_matter(text)
        except ValueError:
            return super().split(text)  # the library's error

    def load(self, fm: str, **kwargs: object) -> Any:
        return load_yaml(fm)

    def export(self, metadata: dict[str, object], **kwargs: object) -> str:
        return dump_yaml(metadata).strip()
