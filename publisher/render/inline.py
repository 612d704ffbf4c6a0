"""A test send's images: the local images its email shows, carried inside the message
(multipart/related, shown by ``cid:`` URLs), so that a test looks right before the site is
online. Images of other hosts stay where they are; ``email.eml`` never changes."""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import make_msgid
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote, urljoin, urlsplit

from publisher.config import Config
from publisher.render.images import sniff
from publisher.render.issue import logos_of, source_dir
from publisher.render.mime import RelatedImage
from publisher.render.sanitize import absolute_url
from publisher.render.shelf import shelf_of

if TYPE_CHECKING:
    from publisher.render.rendered import Rendered

#: The built site's folder in a newsletter folder (``site.plan.SITE_DIR``, a layer above).
SITE_FOLDER = "site"
#: The image formats every mail program shows, by what ``sniff`` says: their MIME subtype.
SUBTYPES = {"JPEG": "jpeg", "PNG": "png", "GIF": "gif", "WEBP": "webp"}
#: Where an email shows an image: a src (``<img>``, Outlook's VML), a background attribute, a
#: CSS ``url()``; the address is the second group.
_SHOWN = re.compile(r"""(\s(?:src|background)=")([^"]*)(")|(url\(\s*['"]?)([^'")\s]*)()""")


@dataclass(frozen=True)
class Inline:
    """One image carried in the message."""

    #: The address the email shows it at (on the site).
    url: str
    #: The file its bytes come from.
    path: Path
    #: Its Content-ID, without < and >.
    cid: str
    data: bytes
    #: ``jpeg``, ``png``, ``gif`` or ``webp``.
    subtype: str

    @property
    def related(self) -> RelatedImage:
        return self.cid, self.data, self.subtype

    def name(self, base_url: str) -> str:
        """Return its path on the site (``undersea-cables/lead-1200w.01ba0d62a6.jpg``)."""
        return unquote(self.url.removeprefix(base_url)) or PurePosixPath(self.path).name


def local_images(rendered: Rendered, config: Config, root: Path) -> dict[str, Path]:
    """Return the files of the images the email may show from the site, by their address:
    the issue's image variants and the logo's, as rendering made them on the shelf, and the
    files the issue publishes as they are (from its folder)."""
    issue = rendered.issue
    page = issue.url(config)
    shelf = shelf_of(root)
    files = {
        urljoin(page, quote(image.name)): shelf.folder / image.shelf_name
        for image in rendered.images
        if shelf.intact(image.shelf_name)
    }
    for variant, _ in logos_of(config):
        if shelf.intact(shelf.path(variant).name):
            files[absolute_url(quote(variant.name), config.base_url)] = shelf.path(variant)
    for name in rendered.files:
        files.setdefault(urljoin(page, quote(name)), source_dir(issue) / name)
    return files


def embed(
    html: str, files: Mapping[str, Path], base_url: str, root: Path, domain: str
) -> tuple[str, tuple[Inline, ...], tuple[str, ...]]:
    """Return ``html`` with each image it shows from the site that is on this machine shown
    by a fresh Content-ID (on ``domain``) instead; those images, each once; and the
    addresses on the site it shows that stay as they are (no image file here for them).

    An image is found in ``files`` (see ``local_images``), else in the built site, at the
    path of its address.
    """
    found: dict[str, Inline | None] = {}

    def replace(match: re.Match[str]) -> str:
        head, raw, tail = match.group(1, 2, 3) if match.group(1) else match.group(4, 5, 6)
        url = html_lib.unescape(raw)
        if url not in found:
            found[url] = _inline(url, files.get(url) or _in_site(url, base_url, root), domain)
        image = found[url]
        return f"{head}{f'cid:{image.cid}' if image else raw}{tail}"

    html = _SHOWN.sub(replace, html)
    images = tuple(image for image in found.values() if image is not None)
    stayed = tuple(
        url for url, image in found.items() if image is None and url.startswith(base_url)
    )
    return html, images, stayed


def _inline(url: str, path: Path | None, domain: str) -> Inline | None:
    """Return the image at ``path`` to carry in the message, or None (no such file, or not
    an image every mail program shows)."""
    if path is None:
        return None
    try:
        data = path.read_bytes()
    except OSError:
        return None
    subtype = SUBTYPES.get(sniff(data[:16]) or "")
    if subtype is None:
        return None
    return Inline(url, path, make_msgid(domain=domain)[1:-1], data, subtype)


def _in_site(url: str, base_url: str, root: Path) -> Path | None:
    """Return the built site's file at ``url``'s path, if it is on the site and a file of
    the newsletter folder (a link in the site that leads out of it is not followed)."""
    if not url.startswith(base_url):
        return None
    path = unquote(urlsplit(url.removeprefix(base_url)).path)
    folder = root.resolve()
    found = (folder / SITE_FOLDER / path).resolve()
    return found if found.is_relative_to(folder) and found.is_file() else None
