"""The shelf of image variants (``.publisher-cache/images/``): each variant made once, decoded
once per source, turned upright, converted to sRGB, resized (never up) and encoded with no
metadata at all, under a name made of the digest of its source and of every parameter; and the
gallery of what one issue publishes.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import math
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from publisher.paths import CACHE_DIR
from publisher.render.images import (
    JPEG_QUALITY,
    WEBP_QUALITY,
    ImageProblem,
    Picture,
    Variant,
    opened,
)

if TYPE_CHECKING:
    from PIL import Image as PILImage

#: The modification time of every variant on the shelf: a file with another was changed since.
MADE = 946_684_800 * 10**9


# --- making them ------------------------------------------------------------------------------


class Shelf:
    """The folder of made variants (``.publisher-cache/images/``), each under its key."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        #: The sizes of the files found as made, or made, through this shelf: a build looks
        #: at each once, not once per issue that shows it.
        self._made: dict[str, int] = {}

    def path(self, variant: Variant) -> Path:
        return self.folder / shelf_name(variant)

    def make(self, source: Path, variants: Sequence[Variant]) -> None:
        """Make the variants of one source that are not on the shelf yet (one decode)."""
        missing = [v for v in dict.fromkeys(variants) if not self.intact(shelf_name(v))]
        if not missing:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        data = source.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        if digest != missing[0].picture.digest:  # changed since it was read: read it again
            raise ImageProblem(
                "it changed while publisher was reading it", "build again once it is saved"
            )
        picture = missing[0].picture
        moving = [v for v in missing if picture.animated and v.format == "gif"]
        stills = [v for v in missing if v not in moving]  # of an animation: its first frame
        with opened(data) as image:
            if stills:
                upright = _upright(image, max(v.width for v in stills), picture)
                lossless = picture.kind == "png"  # a drawing stays sharp in WebP too
                for variant in sorted(stills, key=lambda v: -v.width):
                    resized = _resized(upright, variant)
                    self._write(variant, _encode(resized, variant.format, lossless))
            for variant in moving:
                self._write(variant, _animation(image, variant))

    def size(self, variant: Variant) -> int:
        """Return the bytes of a made variant (0 if it is not on the shelf)."""
        return self.size_of(shelf_name(variant))

    def size_of(self, name: str) -> int:
        """Return the bytes of the file ``name`` on the shelf (0 if it is not there)."""
        if name in self._made:
            return self._made[name]
        try:
            return os.stat(f"{self.folder}/{name}").st_size
        except OSError:
            return 0

    def _write(self, variant: Variant, data: bytes) -> None:
        target = self.path(variant)
        temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        temporary.write_bytes(data)
        # Its modification time says it is as made: the site's copies are hard links to it,
        # and a file changed in place through one of them gets a new time.
        os.utime(temporary, ns=(MADE, MADE))
        os.replace(temporary, target)  # two builds may make the same file: same bytes
        self._made[target.name] = len(data)

    def intact(self, name: str) -> bool:
        """Return whether the file ``name`` is on the shelf as it was made."""
        if name in self._made:
            return True
        try:  # a plain string path: this runs for every image of every issue
            st = os.stat(f"{self.folder}/{name}")
        except OSError:
            return False
        if st.st_mtime_ns != MADE:
            return False
        self._made[name] = st.st_size
        return True

    def keep_only(self, names: Iterable[str]) -> None:
        """Delete the variants not named in ``names`` (file names on the shelf)."""
        keep = set(names)
        with contextlib.suppress(OSError):
            for entry in os.scandir(self.folder):
                if entry.name not in keep:
                    self._made.pop(entry.name, None)
                    with contextlib.suppress(OSError):
                        os.unlink(entry.path)


IMAGES_DIR = "images"


def shelf_of(root: Path) -> Shelf:
    """Return the folder's shelf of image variants (``.publisher-cache/images/``)."""
    return Shelf(root / CACHE_DIR / IMAGES_DIR)


def shelf_name(variant: Variant) -> str:
    """Return a variant's file name on the shelf."""
    return f"{variant.key}.{variant.suffix}"


@dataclass(frozen=True)
class Published:
    """One variant a rendering publishes: where it goes and what it is made from."""

    #: Its path relative to the issue's folder of the site (the variant's ``name``).
    name: str
    #: Its file name on the shelf.
    shelf_name: str
    #: The line of the issue's file that shows it (for messages).
    line: int
    #: True when the email shows it (it counts in the email's weight).
    email: bool


class Gallery:
    """The variants one rendering shows, and the source file each is made from.

    Renderers ask it for the name of each variant they show (``use``); ``make`` then makes the
    missing ones on the shelf, one decode per source.
    """

    def __init__(self, shelf: Shelf, folder: Path) -> None:
        self.shelf, self.folder = shelf, folder
        self.used: dict[Variant, tuple[int, bool]] = {}

    def use(self, variant: Variant, line: int, email: bool = False) -> str:
        """Record that ``variant`` is shown (at file ``line``); return its relative path."""
        before = self.used.get(variant)
        if before is None or (email and not before[1]):
            self.used[variant] = (before[0] if before else line, email)
        return variant.name

    def smaller(self, candidate: Variant, than: Variant) -> bool:
        """Return whether ``candidate`` comes out smaller than ``than`` (making both)."""
        self.shelf.make(self.source(candidate), [candidate, than])
        return self.shelf.size(candidate) < self.shelf.size(than)

    def source(self, variant: Variant) -> Path:
        return self.folder / variant.picture.name

    def make(self) -> None:
        """Make every variant used that is not on the shelf yet."""
        by_source: dict[str, list[Variant]] = {}
        for variant in self.used:
            by_source.setdefault(variant.picture.digest + variant.picture.name, []).append(variant)
        for variants in by_source.values():
            self.shelf.make(self.source(variants[0]), variants)

    def published(self) -> tuple[Published, ...]:
        """Return every variant used, in the order first used."""
        return tuple(
            Published(v.name, shelf_name(v), line, email) for v, (line, email) in self.used.items()
        )

    def email_bytes(self) -> int:
        """Return the bytes of the images the email shows (made ones)."""
        return sum(self.shelf.size(v) for v, (_, email) in self.used.items() if email)


def _upright(image: PILImage.Image, widest: int, picture: Picture) -> PILImage.Image:
    """Decode ``image`` (a JPEG at the smallest scale that still covers ``widest``), turned
    upright, in sRGB, with no metadata."""
    from PIL import ImageOps

    if image.format in ("JPEG", "MPO"):
        # Decode at the smallest scale whose upright width still covers the widest variant
        # (the stored pixels may be on their side: the scale is the same on both sides).
        scale = widest / picture.width
        image.draft(image.mode, (math.ceil(image.width * scale), math.ceil(image.height * scale)))
    image.load()
    profile = image.info.get("icc_profile")
    upright = ImageOps.exif_transpose(image) or image
    upright = _to_srgb(upright, profile)
    upright.info = {}
    return upright


def _to_srgb(image: PILImage.Image, profile: bytes | None) -> PILImage.Image:
    """Convert ``image`` to sRGB (from its embedded colour profile, if any), in RGB(A) or L."""
    keep_alpha = image.mode in ("RGBA", "LA", "PA", "P") and (
        image.mode != "P" or "transparency" in image.info
    )
    target = "RGBA" if keep_alpha else ("L" if image.mode in ("L", "1", "I;16") else "RGB")
    if profile and image.mode in ("RGB", "RGBA", "CMYK", "L"):
        from PIL import ImageCms

        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
            if "srgb" not in (ImageCms.getProfileDescription(source) or "").lower():
                mode = "RGBA" if image.mode == "RGBA" else "RGB"
                converted = ImageCms.profileToProfile(
                    image, source, ImageCms.createProfile("sRGB"), outputMode=mode
                )
                if converted is not None:
                    image = converted
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # a damaged profile: take the colours as they are
    return image if image.mode == target else image.convert(target)


def _resized(image: PILImage.Image, variant: Variant) -> PILImage.Image:
    from PIL import Image

    if variant.crop is not None:
        # The crop box is in the source's upright pixels; the decoded image may be smaller.
        scale = image.width / variant.picture.width
        box = tuple(round(c * scale) for c in variant.crop)
        image = image.crop(box)  # type: ignore[arg-type]
    if image.size == (variant.width, variant.height):
        return image
    return image.resize((variant.width, variant.height), Image.Resampling.LANCZOS, reducing_gap=3.0)


def _encode(image: PILImage.Image, fmt: str, lossless: bool = False) -> bytes:
    """Encode with no metadata: Pillow writes none it is not given."""
    out = io.BytesIO()
    image.info = {}
    if fmt == "jpeg":
        image.save(out, "JPEG", quality=JPEG_QUALITY, progressive=True, optimize=True)
    elif fmt == "webp":
        image.save(out, "WEBP", quality=WEBP_QUALITY, method=4, lossless=lossless)
    else:
        image.save(out, "PNG", optimize=True)
    return out.getvalue()


def _animation(image: PILImage.Image, variant: Variant) -> bytes:
    """Return an animation resized frame by frame, as a GIF with its timing and no metadata.

    The frames reach the encoder one at a time as they are resized: it keeps each as a
    palette image (a byte a pixel) to compare it with the next, but no frame is held twice.
    """
    loop = int(image.info.get("loop", 0) or 0)
    frames = _resized_frames(image, variant)
    first = next(frames)
    out = io.BytesIO()
    first.save(
        out, "GIF", save_all=True, append_images=frames, loop=loop, disposal=2, optimize=False
    )
    return out.getvalue()


def _resized_frames(image: PILImage.Image, variant: Variant) -> Iterator[PILImage.Image]:
    """Yield each frame of ``image`` resized to ``variant``, carrying its duration alone (the
    encoder reads a frame's duration from its ``info``; nothing else of it is kept)."""
    from PIL import Image, ImageSequence

    size = (variant.width, variant.height)
    for frame in ImageSequence.Iterator(image):
        duration = int(frame.info.get("duration", 100) or 100)
        rgba = frame.convert("RGBA")
        if rgba.size != size:
            rgba = rgba.resize(size, Image.Resampling.LANCZOS)
        rgba.info = {"duration": duration}
        yield rgba
