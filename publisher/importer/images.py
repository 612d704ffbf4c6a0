"""``--download-images``: an imported issue's remote images, saved beside it.

A few at a time, each under a size cap; a file already there is not fetched again, so an
interrupted import picks up where it stopped.
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

#: The largest image saved (bigger ones stay remote, with a line in the report).
MAX_IMAGE_BYTES = 20_000_000
#: How many images are fetched at once.
AT_ONCE = 4
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif", ".heic", ".heif"}


def is_image(head: bytes) -> bool:
    """Return whether a file's first bytes are those of an image the build can read (JPEG,
    PNG, GIF, WebP, HEIC, AVIF): a server's error page saved as ``photo.png`` is not."""
    return (
        head.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a"))
        or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")
        or head[4:8] == b"ftyp"
    )


def names_for(urls: list[str]) -> dict[str, str]:
    """Return a file name for each image address: its own name, made safe and unique."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    for url in urls:
        try:
            name = PurePosixPath(unquote(urlsplit(url).path)).name
        except ValueError:  # no address (``http://[::1/x.png``): a name of its own below
            name = ""
        stem, suffix = name.rsplit(".", 1) if "." in name else (name, "")
        stem = re.sub(r"[^\w-]+", "-", stem, flags=re.ASCII).strip("-")[:60]
        suffix = "." + suffix.lower() if suffix else ""
        if not stem or suffix not in IMAGE_SUFFIXES:
            stem, suffix = f"image-{hashlib.sha256(url.encode()).hexdigest()[:10]}", suffix
            suffix = suffix if suffix in IMAGE_SUFFIXES else ""
        candidate, n = stem, 2
        while candidate.casefold() in taken:
            candidate, n = f"{stem}-{n}", n + 1
        taken.add(candidate.casefold())
        names[url] = candidate + suffix
    return names


def _existing(folder: Path, name: str) -> Path | None:
    if "." in name:
        path = folder / name
        return path if path.is_file() else None
    found = sorted(p for p in folder.glob(name + ".*") if p.suffix != ".part")
    return found[0] if found else None


def _fetch(url: str, folder: Path, name: str, cap: int) -> tuple[str, str | None]:
    """Save one image; return (its file name, or "" and why not)."""
    import httpx

    if (done := _existing(folder, name)) is not None:
        return done.name, None
    part = folder / f"{name}.part"
    try:
        with httpx.stream("GET", url, follow_redirects=True, timeout=30) as response:
            if response.status_code != 200:
                return "", f"HTTP {response.status_code}"
            length = response.headers.get("content-length")
            if length and length.isdigit() and int(length) > cap:
                return "", f"{int(length) / 1e6:.1f} MB, over the {cap / 1e6:.0f} MB cap"
            kind = response.headers.get("content-type", "").split(";")[0].strip()
            if "." not in name:
                guessed = mimetypes.guess_extension(kind) or ""
                if guessed not in IMAGE_SUFFIXES:
                    return "", f"not an image ({kind or 'no type'})"
                name += guessed
            size = 0
            with part.open("wb") as out:
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > cap:
                        break
                    out.write(chunk)
            if size > cap:
                part.unlink()
                return "", f"over the {cap / 1e6:.0f} MB cap"
            with part.open("rb") as saved:
                if not is_image(saved.read(16)):
                    part.unlink()
                    return "", f"not an image publisher can read ({kind or 'no type'})"
            part.replace(folder / name)
            return name, None
    except (httpx.HTTPError, httpx.InvalidURL, ValueError, OSError) as exc:
        part.unlink(missing_ok=True)  # (httpx.InvalidURL is no HTTPError: an address it refuses)
        return "", f"cannot be fetched ({exc.__class__.__name__}: {exc})"


def download(
    urls: list[str], folder: Path, cap: int = MAX_IMAGE_BYTES
) -> tuple[dict[str, str], dict[str, str]]:
    """Save ``urls`` into ``folder``; return (file name by address, why not by address)."""
    folder.mkdir(parents=True, exist_ok=True)
    names = names_for(urls)
    saved, failed = {}, {}
    with ThreadPoolExecutor(max_workers=AT_ONCE) as pool:
        futures = {u: pool.submit(_fetch, u, folder, names[u], cap) for u in urls}
        for url, future in futures.items():
            name, why = future.result()
            if why is None:
                saved[url] = name
            else:
                failed[url] = why
    return saved, failed
