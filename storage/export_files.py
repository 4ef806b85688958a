"""The files an export writes: their names, which cannot leave the output folder, and whole-file writes.

Every file is written under a temporary name in the same folder, then renamed, so an interrupted
export leaves no half-written file; a file that already holds the same bytes is left as it is.
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path

from storage.records import ArchivedImage

_EXTENSIONS = {
    "image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "image/webp": "webp", "image/svg+xml": "svg",
    "image/avif": "avif", "image/bmp": "bmp", "image/tiff": "tiff", "image/x-icon": "ico",
    "image/vnd.microsoft.icon": "ico", "image/heic": "heic", "image/heif": "heif",
}
IMAGES_DIR = "images"
_READ = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)


def image_file_name(image: ArchivedImage) -> str | None:
    if image.sha256 is None or image.state != "done":
        return None
    return f"{IMAGES_DIR}/{image.sha256}.{_EXTENSIONS.get(image.mime_type or '', 'bin')}"


OUR_NAMES = r"[a-z0-9][a-z0-9.-]*"  # the names export_path lets through, in one folder
_SAFE_NAME = re.compile(rf"(?:{IMAGES_DIR}/)?{OUR_NAMES}")


def export_path(folder: Path | str, name: str) -> str:
    """``folder/name``, refusing any name that is not one of ours (so nothing can leave the folder)."""
    if not _SAFE_NAME.fullmatch(name) or ".." in name:
        raise ValueError(f"export name {name!r} would leave {folder}")
    return f"{folder}/{name}"


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def remove_stale_temporaries(folder: Path | str, names: str = OUR_NAMES) -> int:
    """Remove the temporary files an export killed mid-write left in ``folder`` (``kill -9`` gives no
    chance to remove them): ``write_atomically``'s ``.<name>.<pid>.tmp`` for a name that matches the
    regular expression ``names``, whose writing process is gone. How many were removed."""
    temporary = re.compile(rf"\.(?:{names})\.(\d+)\.tmp")
    removed = 0
    with contextlib.suppress(FileNotFoundError), os.scandir(folder) as entries:
        for entry in entries:
            match = temporary.fullmatch(entry.name)
            if match and not _running(int(match.group(1))) and entry.is_file(follow_symlinks=False):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(entry.path)  # noqa: PTH108 (a DirEntry's path)
                    removed += 1
    return removed


def write_atomically(path: Path | str, data: bytes) -> None:
    """Write to a temporary name in the same folder, then rename: never a half-written file."""
    folder, name = os.path.split(path)
    tmp = f"{folder}{os.sep}.{name}.{os.getpid()}.tmp"
    fd = os.open(tmp, _CREATE, 0o666)
    try:
        try:
            with memoryview(data) as view:
                written = 0
                while written < len(view):
                    written += os.write(fd, view[written:])
        finally:
            os.close(fd)
        os.replace(tmp, path)  # noqa: PTH105 (one file per article: no Path objects on the way)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            Path(tmp).unlink()
        raise


def write_if_changed(path: Path | str, data: bytes) -> bool:
    """``write_atomically`` unless the file already holds exactly ``data``: a re-export leaves an
    unchanged file (and its modification time) alone, which costs far less than replacing it."""
    try:
        fd = os.open(path, _READ)
    except FileNotFoundError:
        pass
    else:
        try:
            if os.fstat(fd).st_size == len(data) and os.read(fd, len(data) + 1) == data:
                return False
        finally:
            os.close(fd)
    write_atomically(path, data)
    return True


