"""Local images: read by their content, and the published variants each one becomes.

Every local image that is published goes through this one pipeline: the images an issue shows
(Markdown images and the ``image:`` front-matter key), image files it links to, and the logo.
(Files in ``static/`` are published byte for byte.) A source is read once by its content
(``read``): its format, its upright size (after the EXIF orientation) and a digest of its bytes.
Each output asks for the variants it shows (``email_variant``, ``web_variants``,
``feed_variant``, ``card_variant``, ``full_variant``); a ``Shelf`` makes them: decoded once per
source, turned upright, converted to sRGB, resized (never up), encoded with no metadata at all
(no EXIF, GPS, XMP, IPTC, ICC profile or comment), and kept in ``.publisher-cache/images/`` under
a name made of the digest of the source and of every parameter, so the same input always gives
the same bytes under the same name, and a changed photo gets a new name (no stale copy in a CDN
or an inbox cache).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import io
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path, PurePosixPath
from stat import S_ISREG
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import Image as PILImage

#: Bumped whenever the bytes of a variant change for the same source and parameters. (Not
#: for every change: a variant of an email already sent is a URL its readers load.)
PIPELINE = 1
#: The most pixels an image may hold, every frame of an animation counted: Pillow's
#: decompression-bomb limit for one image (``2 * MAX_IMAGE_PIXELS``, about 179 megapixels).
#: An email GIF is typically 600 px wide and a few seconds long (600×400 × 60 frames: 14
#: megapixels); even a screen recording at twice the email's width (1200×800 × 60 frames: 58
#: megapixels) stays at a third of it. Each frame of each variant is decoded and resized, so
#: the limit bounds a build's time and memory as Pillow's bounds a still's.
MAX_PIXELS = 2 * 89_478_485
#: JPEG quality of every variant: the lowest with a mean SSIM of 0.97 on photographs
#: (``benchmarks/image_quality.py``: 0.9695 at 80, 0.9631 at 75; each 5 more costs 15-25% bytes).
JPEG_QUALITY = 80
#: The WebP quality with the same SSIM as that JPEG (0.9704), at three quarters of its bytes.
WEBP_QUALITY = 80
#: Widths of the web page's ``srcset`` (never above the source's own width).
WEB_WIDTHS = (600, 1200, 1800)
#: The width of the image a feed entry names.
FEED_WIDTH = 1200
#: The social card (``og:image``): Facebook's, LinkedIn's and X's large-card size.
CARD_SIZE = (1200, 630)
#: An email image file is this many times as wide as it is shown (sharp on dense screens).
EMAIL_SCALE = 2
#: What the pipeline decodes (Pillow's names). MPO is the JPEG of phones that add a depth map.
FORMATS = {"JPEG", "MPO", "PNG", "GIF", "WEBP", "HEIF", "AVIF"}
SUFFIX = {"jpeg": "jpg", "png": "png", "gif": "gif", "webp": "webp"}
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}


class ImageProblem(Exception):
    """A file shown or linked as an image that cannot be published, and what to do about it."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.message, self.hint = message, hint


@dataclass(frozen=True)
class Picture:
    """A local image file as read by its content: everything its variants are made from."""

    #: Its path relative to the issue's folder (or the newsletter folder, for the logo).
    name: str
    #: The SHA-256 of its bytes (hex).
    digest: str
    #: Pillow's name of its format (``JPEG``, ``PNG``, ``GIF``, ``WEBP``, ``HEIF``, ``AVIF``...).
    format: str
    #: Its size as shown, once turned upright by its EXIF orientation.
    width: int
    height: int
    animated: bool = False
    alpha: bool = False

    @property
    def kind(self) -> str:
        """Return the format of its variants: JPEG for photos, PNG for drawings and anything
        transparent, GIF for animations."""
        if self.animated:
            return "gif"
        if self.alpha or self.format in ("PNG", "GIF"):
            return "png"
        return "jpeg"


@dataclass(frozen=True)
class Variant:
    """One published file made from a picture: its size, format and crop."""

    picture: Picture
    width: int
    height: int
    #: ``jpeg``, ``png``, ``gif`` or ``webp``.
    format: str
    #: The part of the upright source it shows (left, top, right, bottom), or None for all.
    crop: tuple[int, int, int, int] | None = None

    @cached_property
    def key(self) -> str:
        """Return the digest of the source and of every parameter (20 hex digits)."""
        quality = {"jpeg": JPEG_QUALITY, "webp": WEBP_QUALITY}.get(self.format, 0)
        parts: tuple[object, ...] = (PIPELINE, self.picture.digest, self.width, self.height)
        parts += (self.format, self.crop, quality)
        if self.picture.animated and self.format != "gif":  # a still of its first frame since
            parts += ("first frame",)  # 2026-12 (a GIF before): not the old one on the shelf
        return hashlib.sha256(repr(parts).encode()).hexdigest()[:20]

    @cached_property
    def name(self) -> str:
        """Return its path beside the source's (``photos/lead-1200w.3f9a2c1b0d.jpg``)."""
        source = PurePosixPath(self.picture.name)
        label = "card" if self.crop is not None else f"{self.width}w"
        return str(source.with_name(f"{source.stem}-{label}.{self.key[:10]}.{self.suffix}"))

    @property
    def suffix(self) -> str:
        return SUFFIX[self.format]


# --- reading --------------------------------------------------------------------------------


def sniff(head: bytes) -> str | None:
    """Return the image format that a file's first bytes announce, or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"avif", b"avis"):
            return "AVIF"
        if brand in _HEIF_BRANDS:
            return "HEIF"
    return None


def is_svg(head: bytes) -> bool:
    """Return whether a file's first bytes are an SVG drawing."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return text.startswith(b"<svg") or (text.startswith(b"<?xml") and b"<svg" in text)


def looks_like_image(path: Path) -> bool:
    """Return whether the file at ``path`` starts like an image (or an SVG drawing)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(512)
    except OSError:
        return False
    return sniff(head) is not None or is_svg(head)


def read(path: Path, name: str) -> Picture:
    """Read the image file ``path`` (named ``name`` in messages and variants) by its content.

    Raises ``ImageProblem`` for an empty, truncated or corrupt file, one that is not an image,
    an SVG drawing (email clients do not show SVG), and one over Pillow's decompression-bomb
    limit (an animation: its frames together, ``MAX_PIXELS``).
    """
    try:
        st = path.stat()
    except OSError as exc:
        raise ImageProblem(f"cannot read it ({exc.strerror})", "check the file") from exc
    if not S_ISREG(st.st_mode):  # a FIFO or a device would block or never end
        raise ImageProblem("it is not a regular file", "show an image file")
    return _read(path, name, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


@lru_cache(maxsize=1024)
def _read(path: Path, name: str, size: int, mtime: int, ctime: int, ino: int) -> Picture:
    if size == 0:
        raise ImageProblem("it is an empty file (0 bytes)", "export the picture again")
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    same = _by_digest.get(digest)  # the same bytes under another name: read once
    if same is not None:
        return dataclasses.replace(same, name=name)
    if is_svg(data[:512]):
        raise ImageProblem(
            "it is an SVG drawing, and email clients do not show SVG",
            "export it as a PNG at twice the size it is shown (e.g. 1200 px wide) and show that",
        )
    with opened(data) as image:
        fmt = str(image.format)
        if fmt not in FORMATS:
            raise ImageProblem(
                f"it is a {fmt} image, which email clients and browsers do not all show",
                "export it as JPEG (a photo) or PNG (a drawing)",
            )
        frames = int(getattr(image, "n_frames", 1) or 1)  # read from headers, not decoded
        width, height = image.size
        _within_budget(width, height, frames)
        if _orientation(image) in (5, 6, 7, 8):
            width, height = height, width
        alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info
        _verify(image, frames)
    picture = _by_digest[digest] = Picture(
        name=name,
        digest=digest,
        format="JPEG" if fmt == "MPO" else fmt,
        width=int(width),
        height=int(height),
        animated=frames > 1 and fmt in ("GIF", "WEBP", "PNG"),
        alpha=alpha,
    )
    return picture


#: Every picture read in this process (or known from the last build), by its bytes' digest.
_by_digest: dict[str, Picture] = {}


def facts(picture: Picture) -> tuple[str, str, int, int, bool, bool]:
    """Return what a picture's bytes say of it (all but its name), as plain data: a picture
    is ``Picture(name, *facts)``."""
    p = picture
    return (p.digest, p.format, p.width, p.height, p.animated, p.alpha)


def known(pictures: Iterable[Picture]) -> None:
    """Take ``pictures`` as read: what an earlier build read of them (with the same Pillow)
    holds for the same bytes, so an issue rendered again reads its images' bytes to find their
    digest, not their pixels."""
    for picture in pictures:
        _by_digest.setdefault(picture.digest, picture)


@contextlib.contextmanager
def opened(data: bytes) -> Iterator[PILImage.Image]:
    """Open image bytes with Pillow; every failure becomes an ``ImageProblem``."""
    from PIL import Image, UnidentifiedImageError

    if sniff(data[:16]) == "HEIF":
        _register_heif()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                yield image
    except Image.DecompressionBombError as exc:
        limit = 2 * (Image.MAX_IMAGE_PIXELS or 0) / 1e6
        raise ImageProblem(
            f"it is larger than {limit:.0f} megapixels (a decompression bomb, or a huge scan)",
            "export a smaller copy, e.g. 2400 px wide",
        ) from exc
    except UnidentifiedImageError as exc:
        raise ImageProblem(
            "it is not an image that publisher can read (JPEG, PNG, GIF, WebP, HEIC or AVIF, "
            "read by its content, not its name)",
            "export the picture as JPEG (a photo) or PNG (a drawing) and show that file",
        ) from exc
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise ImageProblem(
            f"the image is damaged or cut short ({exc})",
            "export or download the picture again",
        ) from exc


def _register_heif() -> None:
    try:
        from pillow_heif import register_heif_opener
    except ImportError as exc:  # an optional dependency in some installs
        raise ImageProblem(
            "it is a HEIC photo, and pillow-heif is not installed",
            "pip install pillow-heif, or export the photo as JPEG",
        ) from exc
    register_heif_opener()


def _within_budget(width: int, height: int, frames: int) -> None:
    """Refuse an image whose frames together hold more than ``MAX_PIXELS`` (a still image over
    it is refused by Pillow when it is opened)."""
    total = width * height * frames
    if total > MAX_PIXELS:
        raise ImageProblem(
            f"it is an animation of {frames} frames of {width}×{height} px, "
            f"{total / 1e6:,.0f} megapixels in all: over the {MAX_PIXELS / 1e6:.0f} megapixels "
            "an image may hold, every frame counted (Pillow's decompression-bomb limit)",
            "shorten the animation or make it smaller (e.g. 600 px wide, a few seconds), "
            "or export a still image (PNG or JPEG)",
        )


def _verify(image: PILImage.Image, frames: int) -> None:
    """Decode every frame (a JPEG at a reduced scale, which is quick) to find damage now."""
    if image.format in ("JPEG", "MPO"):
        image.draft("RGB", (max(1, image.width // 8), max(1, image.height // 8)))
    for n in range(frames):
        image.seek(n)
        image.load()
    image.seek(0)


def _orientation(image: PILImage.Image) -> int:
    try:
        return int(image.getexif().get(0x0112, 1) or 1)
    except Exception:  # a damaged EXIF block: show the image as it is stored
        return 1


# --- which variants each output shows ---------------------------------------------------------


def _scaled(picture: Picture, width: int) -> Variant:
    width = max(1, min(width, picture.width))
    height = max(1, round(picture.height * width / picture.width))
    return Variant(picture, width, height, picture.kind)


def display_size(picture: Picture, column: int) -> tuple[int, int]:
    """Return the size an image is shown at in a column ``column`` px wide (never enlarged)."""
    width = min(picture.width, column)
    return width, max(1, round(picture.height * width / picture.width))


def email_variant(picture: Picture, shown_width: int) -> Variant:
    """Return the email's file for an image shown ``shown_width`` px wide: twice as wide."""
    return _scaled(picture, EMAIL_SCALE * shown_width)


def web_variants(picture: Picture) -> list[Variant]:
    """Return the web page's ``srcset``, narrowest first: the standard widths below the
    source's, and the source's own width (at most the widest)."""
    widths = {w for w in WEB_WIDTHS if w < picture.width} | {min(picture.width, WEB_WIDTHS[-1])}
    return [_scaled(picture, w) for w in sorted(widths)]


def webp_twin(variant: Variant) -> Variant | None:
    """Return the WebP alternative of a web variant (None for animations)."""
    if variant.format == "gif":
        return None
    return Variant(variant.picture, variant.width, variant.height, "webp", variant.crop)


def feed_variant(picture: Picture) -> Variant:
    """Return the image a feed entry names."""
    return _scaled(picture, FEED_WIDTH)


def full_variant(picture: Picture) -> Variant:
    """Return the whole image, cleaned (for a link to an image file)."""
    return _scaled(picture, picture.width)


def card_variant(picture: Picture, focus: tuple[float, float] = (0.5, 0.5)) -> Variant:
    """Return the social card: 1200×630 (smaller if the source is), cropped around ``focus``
    (fractions of the width and height); a still, of an animation's first frame."""
    ratio = CARD_SIZE[0] / CARD_SIZE[1]
    crop_w = min(picture.width, round(picture.height * ratio))
    crop_h = min(picture.height, round(crop_w / ratio))
    left = _around(focus[0] * picture.width, crop_w, picture.width)
    top = _around(focus[1] * picture.height, crop_h, picture.height)
    width = min(CARD_SIZE[0], crop_w)
    height = max(1, round(width / ratio))
    kind = "png" if picture.alpha else "jpeg"
    return Variant(picture, width, height, kind, (left, top, left + crop_w, top + crop_h))


def _around(centre: float, size: int, whole: int) -> int:
    return max(0, min(whole - size, round(centre - size / 2)))
