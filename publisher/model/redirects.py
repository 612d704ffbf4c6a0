"""An issue's old addresses (front matter ``redirect_from``): each becomes the path of a page of
the site that sends its readers on to the issue's page.

An old address is a path of the site, relative to the base URL (``/p/old-post/`` and
``p/old-post/`` are the same), or a full URL on the base URL's own host and under its path: a
redirect page can only live on this site. A path that names a folder (it ends in ``/``, or its
last part has no extension) is that folder's ``index.html``; a ``.html`` or ``.htm`` path is that
file.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from publisher.config.addresses import slug_problem
from publisher.config.place import Invalid, shown

#: The file a folder's address serves.
INDEX = "index.html"
#: The extensions a static host serves as an HTML page.
PAGE_EXTENSIONS = (".html", ".htm")
HINT = (
    "write the old address as a path of this site, e.g. `/p/old-post/` or `old/post.html`, "
    "or as a full URL on the base URL's host"
)


def redirect_path(value: str, base_url: str) -> str:
    """Return the file of the site (``p/old-post/index.html``) that the old address ``value``
    names, or raise ``Invalid`` saying why it cannot be one."""
    try:
        parts = urlsplit(value.strip())
    except ValueError:  # an unclosed [ of an IPv6 host
        raise Invalid(f"{shown(value)} is no address", HINT) from None
    if parts.query or parts.fragment or "?" in value or "#" in value:
        raise Invalid(f"{shown(value)} has a query or fragment", "remove everything from ? or # on")
    if "\\" in value:
        raise Invalid(f"{shown(value)} is a file's path, not an address", HINT)
    path = _site_relative(value, parts.scheme, parts.netloc, parts.path, base_url)
    segments = [unquote(s) for s in path.split("/")]
    folder = path.endswith("/") or path == "" or "." not in segments[-1]
    segments = [s for s in segments if s != ""] if folder else segments
    for segment in segments:
        why = slug_problem(segment)
        if why is not None:
            raise Invalid(f"{shown(value)}: its part {shown(segment)} {why}", HINT)
    if folder:
        return "/".join([*segments, INDEX])
    if not segments[-1].lower().endswith(PAGE_EXTENSIONS):
        raise Invalid(
            f"{shown(value)} is no page a static site can serve (only .html and .htm files are)",
            f"end a folder's address with /, e.g. `{value.strip().rstrip('/')}/`",
        )
    return "/".join(segments)


def _site_relative(value: str, scheme: str, host: str, path: str, base_url: str) -> str:
    """Return the path of ``value`` relative to the site's base URL, with no leading ``/``."""
    base = urlsplit(base_url)
    if not scheme and not host:
        return path.lstrip("/")
    if scheme not in ("http", "https", "") or not host:
        raise Invalid(f"{shown(value)} is no http(s) address", HINT)
    if _host(host) != (base.hostname or "", base.port):
        raise Invalid(
            f"{shown(value)} is on another host than the base URL ({base.hostname}): a "
            "redirect page can only live on this site",
            "redirect the other site's address there, or write a path of this site",
        )
    if path + "/" == base.path:
        return ""
    if not path.startswith(base.path):
        raise Invalid(
            f"{shown(value)} is outside the site, which lives under {base.path}",
            f"give an address under {base_url}",
        )
    return path[len(base.path) :]


def _host(netloc: str) -> tuple[str, int | None]:
    """Return the host name and port of an address's ``netloc`` (a port that is no number:
    no host of this site)."""
    parts = urlsplit(f"//{netloc}")
    try:
        return parts.hostname or "", parts.port
    except ValueError:
        return "", None
