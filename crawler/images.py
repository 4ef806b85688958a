"""What an image's bytes say about it: type from magic numbers, size from the header alone.

Never trusts a Content-Type header and never decodes pixels (this is on the fetch hot path);
SVG dimensions come from the root element's attributes, read without an XML parser.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import io
import math
import re
from collections.abc import Callable
from typing import IO, NamedTuple

from PIL import Image, ImageFile

from crawler.models import ImageClaim, ImageInfo
from storage.records import claim_holds

SNIFF_LIMIT = 64 * 1024
"""How far into a text body to look for an SVG root element or HTML markup."""


class Kind(NamedTuple):
    format: str  # Pillow's name for the format, where Pillow has one
    mime_type: str


JPEG = Kind("JPEG", "image/jpeg")
PNG = Kind("PNG", "image/png")
GIF = Kind("GIF", "image/gif")
WEBP = Kind("WEBP", "image/webp")
BMP = Kind("BMP", "image/bmp")
TIFF = Kind("TIFF", "image/tiff")
ICO = Kind("ICO", "image/x-icon")
AVIF = Kind("AVIF", "image/avif")
HEIC = Kind("HEIC", "image/heic")
HEIF = Kind("HEIF", "image/heif")
SVG = Kind("SVG", "image/svg+xml")

_PREFIXES: tuple[tuple[bytes, Kind], ...] = (
    (b"\xff\xd8\xff", JPEG),
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"GIF87a", GIF),
    (b"GIF89a", GIF),
    (b"II*\x00", TIFF),
    (b"MM\x00*", TIFF),
    (b"II+\x00", TIFF),  # BigTIFF
    (b"MM\x00+", TIFF),
)
_BMP_DIB_HEADER_SIZES = frozenset({12, 40, 52, 56, 64, 108, 124})
_AVIF_BRANDS = frozenset({b"avif", b"avis"})
_HEIC_BRANDS = frozenset({b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs"})
_HEIF_BRANDS = frozenset({b"mif1", b"msf1"})

_PLUGIN_MODULES = {
    "JPEG": "JpegImagePlugin", "PNG": "PngImagePlugin", "GIF": "GifImagePlugin", "WEBP": "WebPImagePlugin",
    "BMP": "BmpImagePlugin", "TIFF": "TiffImagePlugin", "ICO": "IcoImagePlugin", "AVIF": "AvifImagePlugin",
}
"""Pillow's plugin module per format: importing one plugin costs milliseconds, ``Image.init()`` (all ~50)
costs a hundred, once per process."""

_HTML_MARKUP = re.compile(rb"<(?:!doctype\s+html|html|head|body|title|meta|script|iframe)[\s>/]")
_SVG_ROOT = re.compile(r"<(?:[A-Za-z_][\w.-]*:)?svg(?=[\s/>])")
_ATTRIBUTE = re.compile(r"""\s+([^\s=/>]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_LENGTH = re.compile(r"\s*\+?((?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*(?:px)?\s*")
_VIEWBOX_SEPARATOR = re.compile(r"[\s,]+")


def inspect_image(data: bytes) -> ImageInfo:
    """Describe ``data`` from its own bytes; never raises: problems go into ``error``."""
    kind = sniff_kind(data)
    width: int | None = None
    height: int | None = None
    error: str | None = None
    if kind is None:
        error = _not_an_image_reason(data)
    else:
        width, height, error = _svg_size(data) if kind is SVG else _raster_size(data, kind)
    return ImageInfo(
        mime_type=kind.mime_type if kind else None,
        format=kind.format if kind else None,
        width=width,
        height=height,
        byte_size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        error=error,
    )


def check_claim(info: ImageInfo, claim: ImageClaim) -> bool | None:
    """Do the seed's claimed dimensions match the real ones?

    ``None`` when the seed claims no dimension or a claimed dimension is unknown in ``info``;
    otherwise ``True`` exactly when every claimed dimension equals the real one.
    """
    return claim_holds(claim.width, claim.height, info.width, info.height)


def sniff_kind(data: bytes) -> Kind | None:
    """The image type the leading bytes announce, or ``None``."""
    for prefix, kind in _PREFIXES:
        if data.startswith(prefix):
            return kind
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if _is_bmp(data):
        return BMP
    if data[:4] == b"\x00\x00\x01\x00" and int.from_bytes(data[4:6], "little") > 0:
        return ICO
    if data[4:8] == b"ftyp":
        return _iso_bmff_kind(data)
    return SVG if _svg_root(_head_text(data)) is not None else None


def _is_bmp(data: bytes) -> bool:
    return data[:2] == b"BM" and int.from_bytes(data[14:18], "little") in _BMP_DIB_HEADER_SIZES


def _iso_bmff_kind(data: bytes) -> Kind | None:
    """AVIF or HEIC/HEIF from the ``ftyp`` box's major and compatible brands."""
    box_size = int.from_bytes(data[:4], "big")
    brands = {data[8:12]} | {data[i : i + 4] for i in range(16, min(box_size, 4096), 4)}
    if brands & _AVIF_BRANDS:
        return AVIF
    if brands & _HEIC_BRANDS:
        return HEIC
    return HEIF if brands & _HEIF_BRANDS else None


def _raster_size(data: bytes, kind: Kind) -> tuple[int | None, int | None, str | None]:
    """Width, height and error from the header, via the Pillow plugin for ``kind`` only.

    The plugin is called directly rather than through ``Image.open``: that would warn or refuse
    above ``MAX_IMAGE_PIXELS``, a guard for decoding pixels, which never happens here.
    """
    plugin = _plugin(kind.format)
    if plugin is None:
        return None, None, None  # a known type Pillow cannot read (HEIC without a plugin)
    try:
        with plugin(io.BytesIO(data), "") as image:
            width, height = image.size
    except Exception as exc:  # malformed input can make a plugin raise almost anything
        return None, None, f"unreadable {kind.format} header: {_short(exc)}"
    return width, height, None


def _plugin(name: str) -> Callable[[IO[bytes], str], ImageFile.ImageFile] | None:
    """Pillow's image factory for format ``name``, importing that format's plugin alone when it is known."""
    if name not in Image.OPEN and name in _PLUGIN_MODULES:
        with contextlib.suppress(ImportError):  # a Pillow built without this format's library
            importlib.import_module(f"PIL.{_PLUGIN_MODULES[name]}")
    if name not in Image.OPEN:
        Image.init()
    found = Image.OPEN.get(name)
    return None if found is None else found[0]


def _short(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 120 else text[:117] + "..."


def _not_an_image_reason(data: bytes) -> str:
    if not data:
        return "empty body"
    head = data[:SNIFF_LIMIT].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"<") and _HTML_MARKUP.search(head):
        return "not an image (looks like HTML)"
    return "unrecognised image format"


def _head_text(data: bytes) -> str:
    """The first ``SNIFF_LIMIT`` bytes as text, BOM removed; ``""`` when it cannot be markup."""
    head = data[:SNIFF_LIMIT]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = head.decode("utf-16", errors="replace")
    else:
        text = head.removeprefix(b"\xef\xbb\xbf").decode("utf-8", errors="replace")
    text = text.lstrip()
    return text if text.startswith("<") else ""


def _svg_root(text: str) -> re.Match[str] | None:
    """The ``<svg`` root tag's opening, after any XML declaration, PIs, comments and DOCTYPE."""
    pos = _skip_space(text, 0)
    while (end := _skip_prolog_item(text, pos)) is not None:
        pos = _skip_space(text, end)
    return _SVG_ROOT.match(text, pos)


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos].isspace():
        pos += 1
    return pos


def _skip_prolog_item(text: str, pos: int) -> int | None:
    """The end of the prolog item at ``pos`` (``None`` if there is none or it is unterminated)."""
    for opener, closer in (("<?", "?>"), ("<!--", "-->")):
        if text.startswith(opener, pos):
            end = text.find(closer, pos + len(opener))
            return None if end < 0 else end + len(closer)
    if text.startswith("<!DOCTYPE", pos):
        bracket, close = text.find("[", pos), text.find(">", pos)
        if 0 <= bracket < close:  # an internal subset: skip to "]" first; its entities stay unexpanded
            subset_end = text.find("]", bracket)
            close = text.find(">", subset_end) if subset_end >= 0 else -1
        return None if close < 0 else close + 1
    return None


def _svg_size(data: bytes) -> tuple[int | None, int | None, str | None]:
    text = _head_text(data)
    root = _svg_root(text)
    attributes = _root_attributes(text, root.end()) if root is not None else None
    if attributes is None:
        return None, None, "unreadable SVG root element"
    width, height = _svg_dimensions(attributes)
    return width, height, None


def _root_attributes(text: str, pos: int) -> dict[str, str] | None:
    """The attributes of the tag whose name ends at ``pos`` (values as written, entities
    unexpanded); ``None`` if the tag does not close within the text."""
    attributes: dict[str, str] = {}
    while match := _ATTRIBUTE.match(text, pos):
        attributes[match[1]] = match[2] if match[2] is not None else match[3]
        pos = match.end()
    tail = text[pos : pos + 16].lstrip()
    return attributes if tail.startswith((">", "/>")) else None


def _svg_dimensions(attributes: dict[str, str]) -> tuple[int | None, int | None]:
    """width/height in px or unitless; else derived from ``viewBox`` (and its aspect ratio)."""
    width, height = _svg_length(attributes.get("width")), _svg_length(attributes.get("height"))
    box = _viewbox_size(attributes.get("viewBox"))
    if box is None:
        return _round(width), _round(height)
    box_width, box_height = box
    if width is None and height is None:
        width, height = box_width, box_height
    elif width is None and height is not None:
        width = height * box_width / box_height
    elif height is None and width is not None:
        height = width * box_height / box_width
    return _round(width), _round(height)


def _svg_length(value: str | None) -> float | None:
    match = _LENGTH.fullmatch(value) if value is not None else None
    number = float(match[1]) if match else None
    return number if number is not None and 0 < number < math.inf else None


def _viewbox_size(value: str | None) -> tuple[float, float] | None:
    parts = _VIEWBOX_SEPARATOR.split(value.strip()) if value is not None else []
    try:
        numbers = [float(part) for part in parts]
    except ValueError:
        return None
    if len(numbers) != 4 or not all(0 < n < math.inf for n in numbers[2:]):
        return None
    return numbers[2], numbers[3]


def _round(value: float | None) -> int | None:
    return None if value is None else round(value)
