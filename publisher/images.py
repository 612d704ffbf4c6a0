"""Local images: where an issue's image file lives, and its pixel size."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from stat import S_ISREG
from urllib.parse import unquote, urlsplit


def local_path(src: str, source_dir: Path | None) -> Path | None:
    """Return the file a relative image ``src`` names inside ``source_dir``, or None.

    URLs, absolute paths and paths that climb out of the issue's folder are not local files.
    """
    if source_dir is None or not src:
        return None
    parts = urlsplit(src)
    if parts.scheme or parts.netloc or parts.path.startswith("/"):
        return None
    relative = Path(unquote(parts.path))
    if ".." in relative.parts:
        return None
    return source_dir / relative


def local_size(src: str, source_dir: Path | None) -> tuple[int, int]:
    """Return (width, height) of a local image, or (0, 0) when unknown."""
    path = local_path(src, source_dir)
    return size_of(path) if path is not None else (0, 0)


def size_of(path: Path) -> tuple[int, int]:
    """Return (width, height) of the image file ``path``, read by its content (not its name);
    (0, 0) when it is missing or not an image Pillow can read."""
    try:
        stat = path.stat()
    except OSError:
        return 0, 0
    if not S_ISREG(stat.st_mode):  # a FIFO or a device would block or never end
        return 0, 0
    return _size(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=4096)
def _size(path: Path, mtime_ns: int, size: int) -> tuple[int, int]:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            return int(image.width), int(image.height)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return 0, 0
