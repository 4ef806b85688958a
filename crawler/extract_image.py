"""The article's lead image: metadata images checked against the first picture in the article.

Order of trust:

1. Metadata: ``og:image`` (``:secure_url``, ``:url``) > ``twitter:image`` > JSON-LD ``image``
   (string, object or list) > ``itemprop=image`` > ``link[rel=image_src]``.
2. The article's own pictures: the ``<img>`` elements (with their ``<picture><source>`` siblings)
   of the ``<article>`` / ``<main>`` element when there is one, else of the body (then not inside
   ``header``/``nav``/``footer``/``aside``), that are not page furniture (a logo, icon, avatar,
   sprite or tracking pixel by class, id or file name, an SVG, or declared smaller than 150 px);
   only the first 30 in document order are looked at.

The first article picture that is the same image as a metadata one (their file names share an
identifying token: a number or hash of 5+ characters with a digit, or the same name once size
markers such as ``1200x675`` or ``w1200`` are dropped) wins over the metadata: metadata images are
usually social-media crops, while the page shows the original. Of a picture's renditions (``src``,
``data-src``, ``srcset``, ``data-srcset`` and ``<source srcset>``), the largest is taken (by
``w`` / ``x`` descriptor, else the element's ``width``), JPEG or PNG before WebP or AVIF at equal
size. With no metadata image, the first article picture is used.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import unquote

from selectolax.lexbor import LexborNode

from crawler.extract_page import Page

_FURNITURE_TAGS = frozenset({"header", "nav", "footer", "aside", "form"})
_FURNITURE_WORDS = re.compile(
    r"logo|icon|avatar|sprite|pixel|spacer|blank|placeholder|badge|emoji|gravatar|author|profile|"
    r"banner|advert|\bads?\b|tracking|button",
    re.IGNORECASE,
)
# a word above occurs (any case) in an ASCII marker only when one of these does: a cheap test first
_FURNITURE_HINTS = (
    "logo",
    "icon",
    "avatar",
    "sprite",
    "pixel",
    "spacer",
    "blank",
    "placeholder",
    "badge",
    "emoji",
    "author",
    "profile",
    "banner",
    "ad",
    "tracking",
    "button",
)
_SRC_ATTRS = ("data-src", "data-lazy-src", "data-original", "data-full-src", "src")
_SRCSET_ATTRS = ("srcset", "data-srcset", "data-lazy-srcset")
_MIN_SIZE = 150
_MARKER_SRC = 120  # the end of a src (the file name) is what names a logo or an icon
_MAX_IMAGES = 30
_ANCESTORS = 10
_SIZE_MARKER = re.compile(r"\d{2,5}x\d{2,5}|[whq]_?\d{2,5}|\d{2,5}[wh]\b|original|large|medium|small|thumb\w*", re.I)
_TOKEN = re.compile(r"[0-9A-Za-z]+")
_MODERN_FORMAT = re.compile(r"\.(?:webp|avif)\b|[?&](?:format|fm|f)=(?:webp|avif)", re.IGNORECASE)
_DESCRIPTOR = re.compile(r"^(\d+(?:\.\d+)?)([wx])$")


def _metadata_images(page: Page) -> list[str]:
    found = (
        page.first("og:image:secure_url", "og:image:url", "og:image"),
        page.first("twitter:image", "twitter:image:src"),
        *page.ld.images(),
        page.first("image", "thumbnailurl"),
        next((link for link in page.links.get("image_src", ()) if link), None),
    )
    return [url for url in found if url and not url.strip().startswith("data:")]


def _srcset(value: str) -> list[tuple[float, str]]:
    """``(size, url)`` pairs of a ``srcset`` (``url 640w, url 2x``); a bare URL counts as size 0."""
    pairs: list[tuple[float, str]] = []
    for item in re.split(r",\s+", value.strip()):
        parts = item.split()
        if not parts:
            continue
        size = 0.0
        if len(parts) > 1:
            match = _DESCRIPTOR.match(parts[-1])
            if match:
                size = float(match.group(1)) * (1 if match.group(2) == "w" else 1000)
        pairs.append((size, parts[0]))
    return pairs


def _declared_width(attrs: dict[str, str | None]) -> float:
    try:
        return float((attrs.get("width") or "0").strip().removesuffix("px"))
    except ValueError:
        return 0.0


def _renditions(img: LexborNode, img_attrs: dict[str, str | None]) -> list[tuple[float, bool, str]]:
    """``(size, common format, url)`` of every rendition of an ``<img>`` (with its attributes) and its ``<picture>``."""
    every = [img_attrs]
    parent = img.parent
    if parent is not None and parent.tag == "picture":
        every.extend(node.attributes for node in parent.iter() if node.tag == "source")
    found: list[tuple[float, bool, str]] = []
    for attrs in every:
        width = _declared_width(attrs)
        for attr in _SRCSET_ATTRS:
            value = attrs.get(attr)
            if value:
                found.extend((size or width, _common(url), url) for size, url in _srcset(value))
        for attr in _SRC_ATTRS:
            value = attrs.get(attr)
            if value and not value.startswith("data:"):
                found.append((-1.0, _common(value), value.strip()))
                break
    return [item for item in found if item[2] and not item[2].startswith("data:")]


def _common(url: str) -> bool:
    """Whether a URL is in a long-established format (JPEG, PNG) rather than WebP / AVIF."""
    return not _MODERN_FORMAT.search(url)


def _furniture_words(marker: str) -> bool:
    """Whether ``marker`` holds one of ``_FURNITURE_WORDS`` (the regex, slow on long markers, only when a
    hint is there; case-insensitive matching goes beyond ``lower`` outside ASCII only)."""
    if marker.isascii():
        lowered = marker.lower()
        if not any(hint in lowered for hint in _FURNITURE_HINTS):
            return False
    return _FURNITURE_WORDS.search(marker) is not None


def _is_furniture(img: LexborNode, attrs: dict[str, str | None], scope: LexborNode) -> bool:
    for dimension in ("width", "height"):
        value = (attrs.get(dimension) or "").strip().removesuffix("px")
        if value.isdigit() and int(value) < _MIN_SIZE:
            return True
    src = attrs.get("src") or ""
    src = "" if src.startswith("data:") else src[-_MARKER_SRC:]
    marker = f"{attrs.get('class') or ''} {attrs.get('id') or ''} {src}"
    if ".svg" in src or _furniture_words(marker):
        return True
    if scope.tag != "body":  # in an <article> or <main>, page furniture is told by the image alone
        return False
    node = img.parent
    for _ in range(_ANCESTORS):
        if node is None or node.mem_id == scope.mem_id:
            break
        if node.tag in _FURNITURE_TAGS:
            return True
        node = node.parent
    return False


def _images(scope: LexborNode) -> Iterator[LexborNode]:
    """The ``<img>`` elements in ``scope``, document order; the first by a query that stops there, as
    the first picture often settles the lead image."""
    first = scope.css_first("img")
    if first is None:
        return
    yield first
    yield from scope.css("img")[1:]


def _article_images(page: Page) -> Iterator[str]:
    """The largest rendition of each of the article's first pictures, in document order."""
    scope = page.article or page.main or page.tree.body
    if scope is None:
        return
    for index, img in enumerate(_images(scope)):
        if index >= _MAX_IMAGES:
            break
        attrs = img.attributes
        if _is_furniture(img, attrs, scope):
            continue
        renditions = _renditions(img, attrs)
        if renditions:
            yield max(renditions, key=lambda item: item[:2])[2]


def _file_tokens(url: str) -> set[str]:
    """Identifying tokens of an image URL's last two path segments, size markers left out."""
    path = url.split("?", 1)[0].split("#", 1)[0]
    if "%" in path:
        path = unquote(path)
    parts = path.rsplit("/", 2)[-2:]
    dot = parts[-1].rfind(".")
    if dot > 0:
        parts[-1] = parts[-1][:dot]
    stem = "/".join(parts)
    bare = _SIZE_MARKER.sub(" ", stem).lower()
    tokens = {token for token in _TOKEN.findall(bare) if len(token) >= 5 and not token.isalpha()}
    if len(stem) >= 8:
        tokens.add(bare.replace(" ", ""))
    return tokens


def lead_image(page: Page) -> str | None:
    """The lead image URL by the order of trust in the module docstring, made absolute."""
    metadata = _metadata_images(page)
    pictures = _article_images(page)
    if not metadata:
        return page.absolute(next(pictures, None))
    tokens: dict[str, set[str]] | None = None  # of each metadata image
    known: set[str] = set()
    for picture in pictures:
        if tokens is None:
            tokens = {url: _file_tokens(url) for url in set(metadata)}
            known = set().union(*tokens.values())
        own = tokens.get(picture)  # a metadata image itself: its tokens are known ones
        if known & (_file_tokens(picture) if own is None else own):
            return page.absolute(picture)
    for url in metadata:
        absolute = page.absolute(url)
        if absolute:
            return absolute
    return None
