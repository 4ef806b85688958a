"""canonicalize_url, host_key and is_http_url: tables of cases, each also checked for idempotence."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from crawler.urls import canonicalize_url, host_key, is_http_url

SEEDS = Path(__file__).resolve().parent.parent / "seeds"

ARC = (
    "https://gray-kcrg-prod.cdn.arcpublishing.com/resizer/izHWKfiY3Yavrd_a-1FVon_6QbA=/980x0/smart/"
    "do0bihdskp9dy.cloudfront.net/04-29-2021/t_34b2f0ea45674bcfa09f133a0aa62dd8_name_Capture.PNG"
)
BRIGHTSPOT = (
    "https://arizent.brightspotcdn.com/dims4/default/73f29ba/2147483647/strip/true/crop/4800x2520+0+90/"
    "resize/1200x630!/quality/90/?url=https%3A%2F%2Fsource-media-brightspot.s3.amazonaws.com%2Fdb%2F7d"
    "%2F24c099b84f4c91c3d81fc93e68e3%2Fab-050321-face-2.jpeg"
)
AMP = (
    "https://www-seattletimes-com.cdn.ampproject.org/c/s/www.seattletimes.com/opinion/"
    "king-county-government-must-turn-its-back-on-facial-recognition-technology/?amp=1"
)

CASES: list[tuple[str, str | None]] = [
    # already canonical: unchanged
    ("https://gcn.com/articles/2021/04/29/nlc-facial-recognition.aspx", None),
    ("https://gcn.com/-/media/GIG/EDIT_SHARED/Identity/facialrecognition2.png", None),
    (ARC, None),
    (BRIGHTSPOT, None),
    (AMP, None),
    ("https://www.seattletimes.com/opinion/x/?amp=1", None),
    ("http://127.0.0.5:8080/robots.txt", None),
    ("http://[::1]:8080/", None),
    ("https://example.com/?b=2&a=1&a=0&utm_source=x", None),
    ("https://example.com/search?q=a+b&empty=&flag", None),
    ("https://example.com/a//b/", None),
    # scheme, host, port, fragment
    ("HTTP://Example.COM:80/a/../b#frag", "http://example.com/b"),
    ("https://EXAMPLE.com:443", "https://example.com/"),
    ("http://example.com:443/", "http://example.com:443/"),
    ("https://example.com:80/", "https://example.com:80/"),
    ("http://example.com:/x", "http://example.com/x"),
    ("http://example.com", "http://example.com/"),
    ("http://example.com?x=1", "http://example.com/?x=1"),
    ("http://example.com/page?#section", "http://example.com/page"),
    ("  https://example.com/x  ", "https://example.com/x"),
    ("http://[0:0:0:0:0:0:0:1]:80/", "http://[::1]/"),
    ("http://[2001:DB8::A]/", "http://[2001:db8::a]/"),
    # internationalised hosts
    ("https://Bücher.example/", "https://xn--bcher-kva.example/"),
    ("http://例え.テスト/パス?q=値", "http://xn--r8jz45g.xn--zckzah/%E3%83%91%E3%82%B9?q=%E5%80%A4"),
    # dot segments
    ("http://example.com/a/./b/../c", "http://example.com/a/c"),
    ("http://example.com/a/b/c/./../../g", "http://example.com/a/g"),
    ("http://example.com/a/b/..", "http://example.com/a/"),
    ("http://example.com/../../x", "http://example.com/x"),
    ("http://example.com/a/%2E%2e/b/%2E", "http://example.com/b/"),
    # percent-encoding
    ("http://example.com/%7euser/%41%62c", "http://example.com/~user/Abc"),
    ("http://example.com/a%2fb%3a?x=%2f%3d%26", "http://example.com/a%2Fb%3A?x=%2F%3D%26"),
    ("http://example.com/a b/ü?q=a b&r=ü", "http://example.com/a%20b/%C3%BC?q=a%20b&r=%C3%BC"),
    ("http://example.com/100%/x?p=5%", "http://example.com/100%25/x?p=5%25"),
    ("http://example.com/%zz%4", "http://example.com/%25zz%254"),
    ("http://example.com/a%20b%C3%BC", "http://example.com/a%20b%C3%BC"),
    ('http://example.com/{x}|"y"<z>^`\\', "http://example.com/%7Bx%7D%7C%22y%22%3Cz%3E%5E%60%5C"),
    ("http://example.com/p;a=1,b!$'()*:@?k=/?:@", "http://example.com/p;a=1,b!$'()*:@?k=/?:@"),
    ("http://example.com/tab\there", "http://example.com/tabhere"),
]

REJECTED: list[tuple[str, str]] = [
    ("javascript:alert(1)", "not an http"),
    ("mailto:news@example.com", "not an http"),
    ("ftp://example.com/file", "not an http"),
    ("data:image/png;base64,AAAA", "not an http"),
    ("file:///etc/passwd", "not an http"),
    ("//example.com/no-scheme", "not an http"),
    ("/relative/path", "not an http"),
    ("", "not an http"),
    ("http://", "no host"),
    ("http:///path", "no host"),
    ("https:example.com", "no host"),
    ("http://:8080/", "no host"),
    ("http://user:secret@example.com/", "userinfo"),
    ("http://user@example.com/", "userinfo"),
    ("http://example.com:99999/", "bad port"),
    ("http://example.com:http/", "bad port"),
    ("http://[::1/", "malformed"),
    ("http://[fe80::1%25eth0]/", "zone"),
    ("http://exa mple.com/", "invalid host"),
    ("http://ex<am>ple.com/", "invalid host"),
]


@pytest.mark.parametrize(("url", "expected"), CASES)
def test_canonicalize_url(url: str, expected: str | None) -> None:
    assert canonicalize_url(url) == (url if expected is None else expected)


@pytest.mark.parametrize("url", [url for url, _ in CASES])
def test_canonicalize_url_is_idempotent(url: str) -> None:
    once = canonicalize_url(url)
    assert canonicalize_url(once) == once


def test_at_least_25_cases() -> None:
    assert len(CASES) >= 25


@pytest.mark.parametrize(("url", "message"), REJECTED)
def test_canonicalize_url_rejects(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        canonicalize_url(url)
    assert is_http_url(url) is False


def test_every_url_in_the_seeds_is_already_canonical() -> None:
    urls = {url for path in SEEDS.glob("*.txt") for url in re.findall(r'https?://[^\s"]+', path.read_text())}
    assert urls, "no seed URLs found"
    for url in urls:
        assert canonicalize_url(url) == url


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("https://Example.COM/a", "example.com"),
        ("http://example.com:80/", "example.com"),
        ("https://example.com:443/", "example.com"),
        ("http://example.com:443/", "example.com:443"),
        ("http://127.0.0.5:8080/x?y", "127.0.0.5:8080"),
        ("http://[::1]:8080/", "[::1]:8080"),
        ("https://Bücher.example/", "xn--bcher-kva.example"),
        (ARC, "gray-kcrg-prod.cdn.arcpublishing.com"),
    ],
)
def test_host_key(url: str, key: str) -> None:
    assert host_key(url) == key


def test_host_key_rejects_what_canonicalize_rejects() -> None:
    with pytest.raises(ValueError, match="not an http"):
        host_key("mailto:x@example.com")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.com/", True),
        ("HTTP://example.com", True),
        ("http://[::1]:8080/", True),
        ("ftp://example.com/", False),
        ("http://user:pw@example.com/", False),
        ("not a url", False),
        (None, False),
        (42, False),
    ],
)
def test_is_http_url(url: str, expected: bool) -> None:
    assert is_http_url(url) is expected
