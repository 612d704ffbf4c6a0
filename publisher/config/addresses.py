"""Web addresses, email addresses, host names and URL slugs: what makes one usable."""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

from publisher.config.place import shown

#: Longer slugs make unwieldy addresses and, with the date, file names over some systems' limits.
MAX_SLUG = 80
#: The longest file or folder name most file systems take (ext4, APFS, NTFS: 255 bytes).
MAX_NAME_BYTES = 255
#: Domains reserved for examples and tests (RFC 2606, RFC 6761): never a real site.
PLACEHOLDER_DOMAINS = ("example.com", "example.org", "example.net")
PLACEHOLDER_TLDS = ("test", "invalid", "localhost", "example")


def is_web_url(url: str) -> bool:
    """Return whether ``url`` is an absolute http(s) address."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def has_scheme(url: str) -> bool:
    """Return whether ``url`` names a scheme or a host: it is no path of a file."""
    try:
        return url.startswith("//") or (":" in url and bool(urlsplit(url).scheme))
    except ValueError:
        return True


def ascii_url(url: str) -> str:
    """Return ``url`` with an internationalised host name in punycode."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if host.isascii():
        return url
    ascii_host = host.encode("idna").decode("ascii")
    netloc = parts.netloc.replace(parts.netloc.rpartition("@")[2].split(":")[0], ascii_host)
    return parts._replace(netloc=netloc).geturl()


def address_problem(address: str) -> str | None:
    """Return why ``address`` is not one email address (an addr-spec), or None if it is one.

    Non-ASCII is allowed in both parts (RFC 6532; the domain is sent in punycode).
    """
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        return "it needs a name, an @ and a domain"
    if any(ch.isspace() or ch in '<>()[],;:"\\' or ord(ch) < 32 for ch in address):
        return 'it holds a space, a line break or one of < > ( ) [ ] , ; : " \\'
    if local.startswith(".") or local.endswith(".") or ".." in local or "@" in local:
        return "its name part is not valid"
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        return f"its domain {shown(domain)} is not a valid host name"
    if "." not in ascii_domain.strip("."):
        return f"its domain {shown(domain)} has no dot"
    return None


def ascii_address(address: str) -> str:
    """Return ``address`` with its domain in punycode (the name part stays as it is)."""
    local, _, domain = address.rpartition("@")
    try:
        return f"{local}@{domain.encode('idna').decode('ascii')}"
    except UnicodeError:
        return address


def is_placeholder_host(host: str) -> bool:
    """Return whether ``host`` is a reserved example name (``example.com``, ``x.test``...)."""
    host = host.lower().rstrip(".")
    return (
        host == "localhost"
        or host.rpartition(".")[2] in PLACEHOLDER_TLDS
        or any(host == d or host.endswith("." + d) for d in PLACEHOLDER_DOMAINS)
    )


def slug_problem(slug: str) -> str | None:
    """Return why ``slug`` cannot be one URL path segment and folder name, or None if it can."""
    if not slug or slug in (".", ".."):
        return "is empty or a dot"
    bad = next(
        (
            ch
            for ch in slug
            if ch in "/\\?#%\"'<>:|*" or ch.isspace() or unicodedata.category(ch).startswith("C")
        ),
        None,
    )
    if bad is not None:
        shown = repr(bad) if bad.isprintable() and not bad.isspace() else f"U+{ord(bad):04X}"
        extra = " (a link would read it as a URL scheme)" if bad == ":" else ""
        return f"contains {shown}{extra}"
    if slug.startswith("."):
        return "starts with a dot (a hidden folder that static hosts do not serve)"
    if len(slug) > MAX_SLUG:
        return f"is {len(slug)} characters long; at most {MAX_SLUG} make a usable address"
    if len(slug.encode()) > MAX_NAME_BYTES:  # 80 characters of 4 bytes each do not fit
        size = len(slug.encode())
        return f"is {size} bytes long in UTF-8; a folder name takes at most {MAX_NAME_BYTES}"
    return None
