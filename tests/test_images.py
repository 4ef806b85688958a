"""inspect_image and check_claim, on images generated here with Pillow or written by hand."""

from __future__ import annotations

import hashlib
import io
import json
import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from PIL import Image

from crawler.images import check_claim, inspect_image
from crawler.models import ImageClaim, ImageInfo


def _encode(fmt: str, size: tuple[int, int] = (37, 21), mode: str = "RGB", **options: object) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, (200, 30, 60)).save(buffer, fmt, **options)
    return buffer.getvalue()


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def _png_claiming(width: int, height: int) -> bytes:
    """A PNG whose IHDR claims width x height but whose pixel data is a single tiny row."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" + b"\x00\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    ("fmt", "mode", "mime_type"),
    [
        ("JPEG", "RGB", "image/jpeg"),
        ("PNG", "RGB", "image/png"),
        ("GIF", "P", "image/gif"),
        ("WEBP", "RGB", "image/webp"),
        ("BMP", "RGB", "image/bmp"),
        ("TIFF", "RGB", "image/tiff"),
        ("ICO", "RGBA", "image/x-icon"),
    ],
)
def test_raster_formats_report_type_size_and_digest(fmt: str, mode: str, mime_type: str) -> None:
    data = _encode(fmt, (37, 21) if fmt != "ICO" else (32, 32), mode)
    info = inspect_image(data)
    assert info.format == fmt
    assert info.mime_type == mime_type
    assert (info.width, info.height) == ((37, 21) if fmt != "ICO" else (32, 32))
    assert info.byte_size == len(data)
    assert info.sha256 == hashlib.sha256(data).hexdigest()
    assert info.error is None


def test_each_format_loads_its_own_pillow_plugin_only(tmp_path: Path) -> None:
    """In a fresh interpreter every raster format is read through its own plugin, never all of Pillow's."""
    sizes = {"JPEG": (37, 21), "PNG": (37, 21), "GIF": (37, 21), "WEBP": (37, 21), "BMP": (37, 21),
             "TIFF": (37, 21), "ICO": (32, 32)}
    modes = {"GIF": "P", "ICO": "RGBA"}
    for fmt, size in sizes.items():
        (tmp_path / fmt).write_bytes(_encode(fmt, size, modes.get(fmt, "RGB")))
    script = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from PIL import Image\n"
        "from crawler.images import inspect_image\n"
        "found = {p.name: [inspect_image(p.read_bytes()).width, inspect_image(p.read_bytes()).height]"
        " for p in sorted(Path(sys.argv[1]).iterdir())}\n"
        "print(json.dumps({'sizes': found, 'all_plugins': Image._initialized >= 2}))\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True,
                          check=True, cwd=Path(__file__).resolve().parents[1])
    result = json.loads(done.stdout)
    assert result == {"sizes": {fmt: list(size) for fmt, size in sorted(sizes.items())}, "all_plugins": False}


def test_avif_when_pillow_supports_it() -> None:
    from PIL import features

    if not features.check("avif"):
        pytest.skip("Pillow built without AVIF")
    info = inspect_image(_encode("AVIF", (40, 30)))
    assert (info.format, info.mime_type, info.width, info.height, info.error) == (
        "AVIF",
        "image/avif",
        40,
        30,
        None,
    )


def test_heic_is_typed_from_magic_bytes_even_without_a_decoder() -> None:
    data = struct.pack(">I", 24) + b"ftypheic" + b"\x00\x00\x00\x00" + b"mif1heic" + b"\x00" * 40
    info = inspect_image(data)
    assert (info.format, info.mime_type) == ("HEIC", "image/heic")
    assert (info.width, info.height) == (None, None)


def test_truncated_jpeg_with_intact_header_keeps_its_dimensions() -> None:
    data = _encode("JPEG", (640, 480), quality=95)
    info = inspect_image(data[: len(data) // 3])
    assert (info.format, info.width, info.height) == ("JPEG", 640, 480)
    assert info.error is None
    assert info.byte_size == len(data) // 3


def test_image_whose_header_is_cut_reports_an_error_but_keeps_the_type() -> None:
    info = inspect_image(_encode("PNG")[:20])
    assert (info.format, info.mime_type) == ("PNG", "image/png")
    assert (info.width, info.height) == (None, None)
    assert info.error is not None
    assert info.error.startswith("unreadable PNG header")


@pytest.mark.parametrize(("width", "height"), [(1, 1), (4000, 3000)])
def test_png_reports_what_its_header_says(width: int, height: int) -> None:
    info = inspect_image(_png_claiming(width, height))
    assert (info.format, info.width, info.height, info.error) == ("PNG", width, height, None)


def test_huge_header_dimensions_do_not_warn_or_fail() -> None:
    """Pillow's decompression-bomb guard is for decoding; only the header is read here."""
    info = inspect_image(_png_claiming(100_000, 100_000))
    assert (info.width, info.height, info.error) == (100_000, 100_000, None)


def test_empty_body() -> None:
    info = inspect_image(b"")
    assert info == ImageInfo(
        mime_type=None,
        format=None,
        width=None,
        height=None,
        byte_size=0,
        sha256=hashlib.sha256(b"").hexdigest(),
        error="empty body",
    )


@pytest.mark.parametrize(
    "body",
    [
        b"<!DOCTYPE html><html><head><title>404</title></head><body>Not found</body></html>",
        b"\xef\xbb\xbf\n  <html lang='en'><body>Access denied</body></html>",
        b'<?xml version="1.0"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "x">\n<html>',
        b"<!-- cache miss -->\n<HTML><HEAD></HEAD></HTML>",
    ],
)
def test_html_served_as_an_image(body: bytes) -> None:
    info = inspect_image(body)
    assert info.error == "not an image (looks like HTML)"
    assert (info.format, info.mime_type, info.width, info.height) == (None, None, None, None)
    assert info.byte_size == len(body)


@pytest.mark.parametrize(
    "body",
    [bytes(range(7, 250)), b'{"error": "not found"}', b"BM not really a bitmap", b"\x00" * 64],
)
def test_unknown_bytes(body: bytes) -> None:
    info = inspect_image(body)
    assert info.error == "unrecognised image format"
    assert (info.format, info.width, info.height) == (None, None, None)


def test_random_bytes_never_raise() -> None:
    for _ in range(200):
        info = inspect_image(os.urandom(64))
        assert info.byte_size == 64


# -- SVG -----------------------------------------------------------------------------------------

SVG_NS = 'xmlns="http://www.w3.org/2000/svg"'


@pytest.mark.parametrize(
    ("document", "size"),
    [
        (f'<svg {SVG_NS} width="120" height="80"><rect/></svg>', (120, 80)),
        (f"<svg {SVG_NS} width='120px' height='80px'/>", (120, 80)),
        (f'<svg {SVG_NS} width="120.6" height=" 79.5 px "/>', (121, 80)),
        (f'<svg {SVG_NS} viewBox="0 0 300 150"></svg>', (300, 150)),
        (f'<svg {SVG_NS} viewBox="-10,-10, 64.4,  32"></svg>', (64, 32)),
        (f'<svg {SVG_NS} width="100%" height="100%" viewBox="0 0 300 150"/>', (300, 150)),
        (f'<svg {SVG_NS} width="10cm" height="5em" viewBox="0 0 40 20"/>', (40, 20)),
        (f'<svg {SVG_NS} width="600" viewBox="0 0 300 150"/>', (600, 300)),
        (f'<svg {SVG_NS} height="50" viewBox="0 0 300 150"/>', (100, 50)),
        (f'<svg {SVG_NS} width="10cm" height="5cm"/>', (None, None)),
        (f'<svg {SVG_NS} width="64"/>', (64, None)),
        (f'<svg {SVG_NS} viewBox="0 0 0 10" width="-4"/>', (None, None)),
        (f"<svg {SVG_NS}>", (None, None)),
    ],
)
def test_svg_dimensions(document: str, size: tuple[int | None, int | None]) -> None:
    data = document.encode()
    info = inspect_image(data)
    assert (info.format, info.mime_type, info.error) == ("SVG", "image/svg+xml", None)
    assert (info.width, info.height) == size
    assert info.sha256 == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize(
    "prolog",
    [
        "",
        "\ufeff",
        '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n',
        "<!-- Generator: Adobe Illustrator 24.0 -->\n",
        '<?xml version="1.0"?>\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
        '"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n',
        '<?xml version="1.0"?><!DOCTYPE svg [ <!ENTITY w "999"> ]>\n<!-- a > b -->\n',
    ],
)
def test_svg_after_a_prolog(prolog: str) -> None:
    info = inspect_image(f'{prolog}  <svg {SVG_NS} width="24" height="12"></svg>'.encode())
    assert (info.format, info.width, info.height) == ("SVG", 24, 12)


def test_svg_in_utf16_with_bom() -> None:
    info = inspect_image(f'<svg {SVG_NS} width="7" height="9"/>'.encode("utf-16"))
    assert (info.format, info.width, info.height) == ("SVG", 7, 9)


def test_svg_entities_are_never_expanded() -> None:
    document = (
        '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY big SYSTEM "http://127.0.0.1:1/x">]>'
        f'<svg {SVG_NS} width="&big;" height="10" viewBox="0 0 20 10">&big;</svg>'
    )
    info = inspect_image(document.encode())
    assert (info.width, info.height, info.error) == (20, 10, None)


def test_svg_root_tag_that_never_closes_is_an_error() -> None:
    info = inspect_image(b'<svg width="10" height="10"')
    assert info.format == "SVG"
    assert info.error == "unreadable SVG root element"


def test_svg_nested_inside_html_is_html() -> None:
    info = inspect_image(b"<html><body><svg width='1' height='1'></svg></body></html>")
    assert info.error == "not an image (looks like HTML)"


def test_svg_root_beyond_the_sniff_limit_is_not_recognised() -> None:
    info = inspect_image(b"<!--" + b" " * 70_000 + b"-->" + f"<svg {SVG_NS}/>".encode())
    assert info.error == "unrecognised image format"


# -- claims --------------------------------------------------------------------------------------


def _info(width: int | None, height: int | None) -> ImageInfo:
    return ImageInfo(mime_type="image/png", format="PNG", width=width, height=height, byte_size=1, sha256="0")


@pytest.mark.parametrize(
    ("real", "claimed", "expected"),
    [
        ((760, 368), (760, 368), True),
        ((760, 368), (760, 369), False),
        ((760, 368), (368, 760), False),
        ((760, 368), (None, None), None),
        ((None, None), (760, 368), None),
        ((760, None), (760, 368), None),
        ((760, 368), (760, None), True),
        ((760, 368), (None, 300), False),
    ],
)
def test_check_claim(
    real: tuple[int | None, int | None], claimed: tuple[int | None, int | None], expected: bool | None
) -> None:
    claim = ImageClaim(url="https://example.com/a.png", width=claimed[0], height=claimed[1])
    assert check_claim(_info(*real), claim) is expected


def test_check_claim_against_a_real_image() -> None:
    info = inspect_image(_encode("PNG", (760, 368)))
    assert check_claim(info, ImageClaim(url="https://gcn.com/x.png", width=760, height=368)) is True
    assert check_claim(info, ImageClaim(url="https://gcn.com/x.png", width=980, height=548)) is False
