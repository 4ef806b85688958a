"""The direct YAML writer against PyYAML itself: the same text for every document it writes, else a fallback."""

from __future__ import annotations

import random
from typing import Any

import pytest
import yaml

from storage.seedyaml import _BLOCK, SeedDumper, dump_yaml, load_yaml
from storage.yaml_block import Unsupported

# strings whose style depends on libyaml's scalar analysis or on the resolver (numbers, bools, null...)
TRICKY = [
    "", " ", "-", "--", "---", "...", "..", "- a", "-a", "?", "? a", "?a", ":", ": a", ":a", "a:", "a: b", "a:b",
    "a #b", "a#b", "#a", "yes", "No", "ON", "off", "y", "n", "true", "False", "null", "Null", "~", "NULL", "0",
    "12", "-3", "+4", "0x1F", "0o17", "017", "0b101", "1_000", "1:30", "1:30.5", "1.5", ".5", "1e3", "1.0e+3",
    ".inf", "-.Inf", ".NaN", "<<", "=", "2021-04-29", "2021-04-29T20:46:00Z", "2021-04-29 20:46:00",
    "http://x.example/a?b=c&d#e", "it's", "'q'", '"dq"', "a'b", "é", "Émoji", "日本", "\u00a0", "\u2027", "\u2028",
    "\u0085", "\t", "a\tb", "a\nb", "\ufeff", "\U0001f389", "%x", "@x", "`x", "!x", "&x", "*x", "|x", ">x", "[x",
    "]x", "{x", "}x", ",x", "x,y", "x[y]", "x{y}", "x?", "x-", "x -", " x", "x ", "a  b", "a: ", "k:", "~x", "=x",
    "<x", "0.", "+.5", "x\\y", "\\", "a !b", "a &b", "a|b", "1/2", "TRUE", "Yes", "nO", "\x7f", "a\x00b",
    "x" * 128, "x" * 129, "é" * 64, "é" * 65,
]


def reference(data: Any) -> str:
    return str(yaml.dump(data, Dumper=SeedDumper, sort_keys=False, allow_unicode=True, default_flow_style=False,
                         width=1_000_000))


def _random_string(rng: random.Random) -> str:
    if rng.random() < 0.6:
        return "".join(rng.choice(TRICKY) for _ in range(rng.randint(1, 3)))
    return "".join(rng.choice("ab :-#'\"?,[]{}.é\u2028\t01!&*|>%@`~") for _ in range(rng.randint(0, 6)))


def _random_value(rng: random.Random, depth: int) -> Any:
    pick = rng.random()
    if depth < 3 and pick < 0.15:
        return {_random_string(rng) if rng.random() < 0.3 else f"k{i}": _random_value(rng, depth + 1)
                for i in range(rng.randint(0, 3))}
    if depth < 3 and pick < 0.3:
        return [_random_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    if pick < 0.35:
        return rng.randint(-5, 10**6)
    if pick < 0.4:
        return rng.choice([True, False, None])
    if pick < 0.41:
        return 1.5
    return _random_string(rng)


@pytest.mark.parametrize("text", TRICKY)
def test_every_tricky_string_as_key_and_value_is_written_as_pyyaml_writes_it(text: str) -> None:
    for data in ({"k": text}, {text: 1}, {"k": [text, {text: text}]}, {"k": {"j": [[text]]}}):
        assert dump_yaml(data) == reference(data)
        assert load_yaml(dump_yaml(data)) == data


def test_random_documents_match_pyyaml_or_fall_back() -> None:
    rng = random.Random(7)
    written = 0
    for _ in range(3000):
        data = {f"k{i}": _random_value(rng, 0) for i in range(rng.randint(1, 4))}
        try:
            text = _BLOCK.dump(data)
        except Unsupported:
            assert dump_yaml(data) == reference(data)
            continue
        written += 1
        assert text == reference(data), data
        assert load_yaml(text) == data
    assert written > 1500  # most documents take the direct way


def test_what_pyyaml_writes_differently_falls_back() -> None:
    shared: list[int] = [1]
    for data in ({"a": shared, "b": shared}, {"a": 1.5}, {"a": "two\nlines"}, {"a": "tab\there"}, {"x" * 129: 1},
                 {"a": "\U0001f389"}, {}):
        with pytest.raises(Unsupported):
            _BLOCK.dump(data)
        assert dump_yaml(data) == reference(data)
