"""Seed files: typed records from good ones, a clear reason for every bad one, nothing else affected."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from crawler.errors import SeedError
from crawler.models import SeedRecord, SeedRejection
from crawler.seeds import find_seed_files, parse_seed, read_seed
from storage.seedyaml import load_yaml
from tests.conftest import SEEDS_DIR

GOOD = '---\ntitle: "A"\npublishedDateTime: 2021-04-29T20:46:00Z\noriginalUrl: "https://a.example/x"\n---\n'


def test_project_seed_reads_into_a_typed_record() -> None:
    path = next(SEEDS_DIR.glob("*.txt"))
    seed = read_seed(path)
    assert isinstance(seed, SeedRecord)
    assert seed.text == path.read_text(encoding="utf-8")
    assert seed.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert seed.article.url == "https://gcn.com/articles/2021/04/29/nlc-facial-recognition.aspx"
    assert seed.article.urls == (seed.article.url,)  # webUrl equals originalUrl
    assert seed.article.published == "2021-04-29T20:46:00Z"  # the seed's own form, not a datetime
    assert [a.path for a in seed.related] == [f"related[{i}]" for i in range(5)]
    assert seed.article.images[0].width == 760 and seed.article.images[0].is_cached is True
    seattle = seed.related[3]
    assert len(seattle.alternates) == 2 and seattle.images == ()


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"---\n- a\n- b\n---\n", "list, not a YAML mapping"),
        (b"---\njust a scalar\n---\n", "str, not a YAML mapping"),
        (b"---\ntitle: [unclosed\n---\n", "invalid YAML"),
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00binary", "binary file"),
        ("---\ntitle: caf\xe9\n---\n".encode("latin-1"), "not UTF-8"),
        (b"---\ntitle: no url\n---\n", "no article URL"),
        (b'---\noriginalUrl: "ftp://a.example/x"\n---\n', "http"),
        (b'---\noriginalUrl: "javascript:alert(1)"\n---\n', "http"),
        (b"---\noriginalUrl: 42\n---\n", "originalUrl must be str"),
        (b'---\noriginalUrl: "https://a.example/"\nimages: [{url: "https://a.example/i.png", width: "wide"}]\n---\n',
         "width must be int"),
        (b'---\noriginalUrl: "https://a.example/"\nimages: [{url: "https://a.example/i.png", height: true}]\n---\n',
         "height must be int"),
        (b'---\noriginalUrl: "https://a.example/"\nrelated: {a: 1}\n---\n', "related must be list"),
        (b'---\noriginalUrl: "https://a.example/"\nrelated: [{title: x}]\n---\n', "related[0] has no article URL"),
        (b'---\noriginalUrl: "https://a.example/"\nrelated: ["x"]\n---\n', "related[0] must be a mapping"),
        (b'---\noriginalUrl: "https://a.example/"\ntitle: never closed\n', "no '---' line closes"),
        (b'---\noriginalUrl: "https://a.example/"\nx: ' + b"[" * 65 + b"]" * 65 + b"\n---\n",
         "nested deeper than 64 levels"),
        # deep enough for JSON and YAML writers to run out of stack, not for libyaml's own limit
        (b'---\noriginalUrl: "https://a.example/"\nx: ' + b"[" * 990 + b"]" * 990 + b"\n---\n",
         "nested deeper than 64 levels"),
        (b'---\noriginalUrl: "https://a.example/"\nx: &a [1]\n' + b"".join(
            b"x%d: &x%d [*%s]\n" % (i, i, b"a" if i == 0 else b"x%d" % (i - 1)) for i in range(70)) + b"---\n",
         "nested deeper than 64 levels"),  # depth from aliases, not from the text's own brackets
    ],
)
def test_bad_seed_is_rejected_with_its_reason(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "bad.md"
    path.write_bytes(content)
    result = read_seed(path)
    assert isinstance(result, SeedRejection)
    assert result.path == str(path)
    assert reason in result.reason


def test_nesting_up_to_the_limit_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "deep.md"
    path.write_bytes(b'---\noriginalUrl: "https://a.example/"\nx: ' + b"[" * 63 + b"]" * 63 + b"\n---\n")
    seed = read_seed(path)
    assert not isinstance(seed, SeedRejection), seed
    assert seed.article.url == "https://a.example/"


def test_oversized_seed_is_rejected_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    with path.open("wb") as handle:
        handle.truncate(50_000_000)
    result = read_seed(path)
    assert isinstance(result, SeedRejection) and "larger than" in result.reason


def test_plain_yaml_mapping_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "plain.yaml"
    path.write_text('originalUrl: "HTTPS://A.Example:443/x#top"\n', encoding="utf-8")
    seed = read_seed(path)
    assert isinstance(seed, SeedRecord) and seed.article.url == "https://a.example/x"


def test_folders_globs_and_patterns(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    for name in ("a.txt", "b.md", "c.markdown", "d.yaml", "e.yml", "sub/f.txt", "ignored.json"):
        (tmp_path / name).write_text(GOOD, encoding="utf-8")
    patterns = ("*.txt", "*.md", "*.markdown", "*.yaml", "*.yml")
    found = {p.name for p in find_seed_files([str(tmp_path)], patterns)}
    assert found == {"a.txt", "b.md", "c.markdown", "d.yaml", "e.yml", "f.txt"}
    assert {p.name for p in find_seed_files([str(tmp_path)], ("*.md",))} == {"b.md"}
    globbed = {p.name for p in find_seed_files([str(tmp_path / "*.y*ml")], patterns)}
    assert globbed == {"d.yaml", "e.yml"}
    twice = list(find_seed_files([str(tmp_path / "a.txt"), str(tmp_path)], patterns))
    assert len(twice) == len(set(twice)) == 6
    with pytest.raises(SeedError, match="no such file"):
        list(find_seed_files([str(tmp_path / "missing-*.txt")], patterns))


_TRICKY_YAML = [
    "a: 1\nb: 1.5\nc: true\nd: ~\ne: ''\nf: 2021-04-29T20:46:00Z\ng: [1, x, null]\nh: &x {a: 1}\ni: *x\n<<: {m: 1}\n",
    "&a [*a]",
    "!!binary aGVsbG8=",
    "{? [1,2] : x}",
    "x: !!set {a, b}",
    "x: 0o17\ny: 0x1F\nz: .inf\nv: 1_000",
    "",
    "- - - a",
    "k: |\n  text\n  more\n",
    "? complex\n: v",
    "x: !!str 123\ny: !!int '7'\nz: =\n'': empty\n~: n",
    "x: " + "[" * 990 + "]" * 990,
    "a: {b: &c {d: e}, f: *c}",
    "x: !!omap [a: 1, b: 2]",
    "a: yes\nb: No\nc: on\nd: 'yes'\ne: 2021-04-29\n",
    "n: -0\no: 010\np: 0x1F\nq: 1_000\nr: +5\ns: 1:30\nt: ~\nu: null\nv: !!bool 'yes'\nw: !!int '42'\nx: 0b11\n"
    "y: 12345678901234567890\nz: [NULL, Off, TRUE, -7, '8']\n",
]


@pytest.mark.parametrize("text", _TRICKY_YAML)
def test_seed_loader_builds_what_the_safe_loader_builds(text: str) -> None:
    """The quick builder for mappings, lists and strings changes nothing: same values, same sharing."""
    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class Reference(base):  # type: ignore[misc,valid-type]
        pass

    Reference.yaml_implicit_resolvers = {
        first: [entry for entry in entries if entry[0] != "tag:yaml.org,2002:timestamp"]
        for first, entries in base.yaml_implicit_resolvers.items()
    }
    def outcome(load: Callable[[], Any]) -> Any:
        try:
            return load()
        except yaml.YAMLError as exc:
            return ("error", type(exc).__name__, str(exc))

    expected = outcome(lambda: yaml.load(text, Loader=Reference))
    got = outcome(lambda: load_yaml(text))
    assert type(got) is type(expected)
    if text.startswith("x: ["):
        return  # too deep for repr; reaching here means the deep document loaded
    assert repr(got) == repr(expected)
    if isinstance(expected, dict) and "h" in expected:
        assert got["h"] is got["i"]  # an alias is the anchor's object


@pytest.mark.parametrize("tagged", ["!!bool maybe", "!!int abc", "!!timestamp xyz", "!!float xyz", "!!int 99e999999"])
def test_a_tagged_value_that_cannot_be_read_rejects_the_seed(tagged: str) -> None:
    """PyYAML's constructors raise plain Python errors for these; the seed is rejected with a reason, not a crash."""
    text = f"---\noriginalUrl: http://news.example/a\nquality: {tagged}\n---\n".encode()
    with pytest.raises(SeedError, match="tagged value that cannot be read"):
        parse_seed(text, path="bad.md", sha256="0" * 64)
