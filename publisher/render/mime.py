"""MIME bytes as the ``email`` package writes them, at a fraction of the cost: the headers
(author text never read as encoded words, addresses never made of names) and bodies in
quoted-printable or, where shorter, base64; and the test message, its body made by the
package, its headers by the same code."""

from __future__ import annotations

import binascii
import codecs
import re
from collections.abc import Sequence
from email import policy
from email.charset import Charset
from email.header import Header
from functools import lru_cache
from typing import TYPE_CHECKING, TypeAlias

if TYPE_CHECKING:
    from email.message import MIMEPart

#: Headers that are plain text: one that is ASCII and fits on its line is written as it is.
_PLAIN = {"Subject", "Date", "Message-ID", "List-Unsubscribe-Post"}


class Addresses(tuple[str, ...]):
    """An address header's bare addresses (``To``: the recipients of a test)."""

    __slots__ = ()


#: A header's value: its text, (display name, address) for an address header, or addresses.
HeaderValue: TypeAlias = str | tuple[str, str] | Addresses
#: The longest quoted-printable (and base64) line of a body: RFC 2045 section 6.7 allows 76
#: characters; the package's SMTP policy would write 78 (its header width, kept for headers).
BODY_WIDTH = 76
#: The policy bodies are encoded with: the package's SMTP policy, its lines 76 long.
BODY_POLICY = policy.SMTP.clone(max_line_length=BODY_WIDTH)

#: What the HTML part shows by its Content-ID: (Content-ID without <>, bytes, image subtype).
RelatedImage: TypeAlias = tuple[str, bytes, str]


def mime_bytes(
    headers: Sequence[tuple[str, HeaderValue]],
    text: str,
    html: str,
    boundary: str,
    utf8: bool = False,
) -> bytes:
    """Return a multipart/alternative message (text, then HTML; UTF-8, ``encoded_body``) as
    the ``email`` package writes it with its SMTP policy (bodies encoded with ``BODY_POLICY``),
    byte for byte, at a fraction of the cost: its objects are used only to fold the headers
    that need it.

    CRLF line ends, headers folded under 78 columns, body lines at most 76 (RFC 2045);
    ``utf8``: RFC 6532's UTF-8 headers (SMTPUTF8) instead of encoded words. Where the package
    (Python 3.11) is unsafe, the bytes are not its own: text that looks like an encoded word
    is encoded, never decoded (``_decodable``), and address headers are written here
    (``_mailbox``). The property tests compare it with the package, and read it back.
    """
    out = [_line(utf8, name, value) for name, value in headers]
    out.append("MIME-Version: 1.0\r\n")
    out.append(_content_type(utf8, boundary))
    out.append(f"\r\n--{boundary}\r\n")
    for n, (subtype, body) in enumerate((("plain", text), ("html", html))):
        if n:
            out.append(f"\r\n--{boundary}\r\n")
        cte, encoded = encoded_body(body)
        out.append(f'Content-Type: text/{subtype}; charset="utf-8"\r\n')
        out.append(f"Content-Transfer-Encoding: {cte}\r\n")
        # add_alternative moves the first part into the message it makes, so the second
        # part is the one that is made with a MIME-Version of its own.
        out.append("MIME-Version: 1.0\r\n\r\n" if n else "\r\n")
        out.append(encoded)
    out.append(f"\r\n--{boundary}--\r\n")
    return "".join(out).encode("utf-8" if utf8 else "ascii")


def alternative(text: str, html: str, images: Sequence[RelatedImage] = ()) -> MIMEPart:
    """Return the body of a message as the ``email`` package makes it: multipart/alternative,
    the text then the HTML (UTF-8, quoted-printable), and with ``images`` the HTML a
    multipart/related of it and them (base64, inline; file names ours, never the author's)."""
    from email.message import MIMEPart

    body = MIMEPart(policy=BODY_POLICY)  # bodies' lines 76 long; headers fold at 78 as sent
    body.set_content(text, subtype="plain", charset="utf-8", cte=encoded_body(text)[0])
    body.add_alternative(html, subtype="html", charset="utf-8", cte=encoded_body(html)[0])
    if images:
        _, html_part = body.iter_parts()
        for n, (cid, data, subtype) in enumerate(images, 1):
            suffix = "jpg" if subtype == "jpeg" else subtype
            html_part.add_related(
                data,
                "image",
                subtype,
                cid=f"<{cid}>",
                disposition="inline",
                filename=f"image{n}.{suffix}",
            )
        html_part.set_param("type", "text/html")  # RFC 2387: the type of its root part
    return body


def message_bytes(
    headers: Sequence[tuple[str, HeaderValue]], body: MIMEPart, utf8: bool = False
) -> bytes:
    """Return a message: ``headers`` as ``mime_bytes`` writes them (author text never read
    as encoded words), then ``body`` as the ``email`` package writes it (its Content-Type and
    parts: nothing of the author's is in their headers)."""
    chosen = policy.SMTPUTF8 if utf8 else policy.SMTP
    out = [_line(utf8, name, value) for name, value in headers]
    out.append("MIME-Version: 1.0\r\n")
    return "".join(out).encode("utf-8" if utf8 else "ascii") + body.as_bytes(policy=chosen)


def _line(utf8: bool, name: str, value: HeaderValue) -> str:
    """Return one header line; addresses are written here, never parsed by the package."""
    if isinstance(value, Addresses):
        return _addresses(utf8, name, value)
    return _header(utf8, name, value)


def _addresses(utf8: bool, name: str, addresses: Addresses) -> str:
    """Return a header of bare addresses (RFC 6532's UTF-8 ones when ``utf8``), one after
    another, a line folded only between two."""
    line, lines = f"{name}:", []
    for n, address in enumerate(addresses):
        if _decodable(address) or not (utf8 or address.isascii()):
            raise ValueError(f"{address!r} cannot go in a header")  # the CLI refuses it
        piece = f" {address}" + ("," if n < len(addresses) - 1 else "")
        if n and len(line) + len(piece) > 78:
            lines.append(line)
            line = ""
        line += piece
    return "\r\n".join([*lines, line]) + "\r\n"


@lru_cache(maxsize=64)
def _header(utf8: bool, name: str, value: str | tuple[str, str]) -> str:
    """Return one header line (the sender and unsubscribe lines are the same in every issue:
    each is made once)."""
    if isinstance(value, tuple):
        return _mailbox(utf8, name, *value)
    if _decodable(value):
        return f"{name}: {_encoded(name, value)}\r\n"
    return _folded(utf8, name, value)


def _folded(utf8: bool, name: str, value: str) -> str:
    """Return a header line as the package folds ``value``."""
    plain = (
        name in _PLAIN
        and value.isascii()
        and len(name) + 2 + len(value) <= 78
        and value == value.strip()
        and value != ""
    )
    if plain:
        return f"{name}: {value}\r\n"
    chosen = policy.SMTPUTF8 if utf8 else policy.SMTP
    return str(chosen.header_factory(name, value).fold(policy=chosen))


def _decodable(text: str) -> bool:
    """Return whether the package would not keep ``text`` as it is: it decodes anything that
    looks like an RFC 2047 encoded word (``=?charset?q?...?=``), and Python 3.11 writes the
    decoded text back as it is, so a CR LF encoded in it starts a header of its own (a title
    ``=?utf-8?q?a=0D=0ABcc:_x@y?=`` would add a Bcc); a display name gets a ValueError."""
    return "=?" in text or "\r" in text or "\n" in text


def _encoded(name: str, text: str) -> str:
    """Return ``text`` as encoded words (UTF-8), folded under 78 columns: a reader's mail
    program decodes them once, to the author's text as it is, "=?" and all."""
    return Header(text, "utf-8", header_name=name).encode(linesep="\r\n")


#: A word of a display name: RFC 5322's atext (in a UTF-8 header, non-ASCII letters too).
_ATEXT = r"[^\x00-\x20\x7f-\x9f()<>\[\]:;@\\,.\"]+"
#: A display name that goes in as it is: such words, one space apart.
_ATOMS = re.compile(f"{_ATEXT}(?: {_ATEXT})*")


def _mailbox(utf8: bool, name: str, display: str, address: str) -> str:
    """Return an address header, the address as it is (RFC 6532 allows a UTF-8 one).

    Written here, not by the package: Python 3.11 folds a long quoted name without its
    quotes (the name "... <boss@bank.example>" would send the message from that address),
    writes a non-ASCII name with specials unquoted, and may fold two long words into an
    empty line, which ends the headers.
    """
    if _decodable(address):  # the settings refuse such an address: this is a bug
        raise ValueError(f"{address!r} cannot go in a header")
    phrase = _phrase(utf8, display)
    gap = " " if len(name) + len(phrase) + len(address) + 5 <= 78 else "\r\n "
    return f"{name}: {phrase}{gap}<{address}>\r\n"


def _phrase(utf8: bool, display: str) -> str:
    """Return a display name as words, a quoted string, or (text that is not ASCII in an
    ASCII header, or that looks like an encoded word) one encoded word, as ``formataddr``
    encodes a name: Python's parser keeps a space between two, which RFC 2047 drops."""
    if _decodable(display) or not display.isprintable() or not (utf8 or display.isascii()):
        return Charset("utf-8").header_encode(display)
    if _ATOMS.fullmatch(display):
        return display
    return '"' + display.replace("\\", "\\\\").replace('"', '\\"') + '"'


#: The boundaries ``compose`` makes: every one of them is folded like this stand-in.
_OUR_BOUNDARY = re.compile(r"=_publisher_[0-9a-f]{32}")
_STAND_IN = "=_publisher_" + "0" * 32


def _content_type(utf8: bool, boundary: str) -> str:
    """Return the message's Content-Type line; one of our boundaries is folded as the same
    line with the stand-in, which is folded once."""
    if _OUR_BOUNDARY.fullmatch(boundary):
        line = _header(utf8, "Content-Type", f'multipart/alternative; boundary="{_STAND_IN}"')
        return line.replace(_STAND_IN, boundary)
    return _header(utf8, "Content-Type", f'multipart/alternative; boundary="{boundary}"')


#: Runs of bytes that quoted-printable escapes: all but tab, line feed and printable ASCII,
#: and "=".
_ESCAPED = re.compile(rb"[^\t\n -<>-~]+")
#: The ASCII bytes a body may hold once "=" and non-ASCII text are escaped: the others are
#: control characters, which take the slower way.
_KEPT = bytes(range(0x20, 0x7F)) + b"\t\n\r"


def _escape(run: re.Match[bytes]) -> bytes:
    return ("=" + run.group().hex("=")).upper().encode("ascii")


def _escape_text(error: UnicodeError) -> tuple[str, int]:
    """Escape a run of non-ASCII characters as the ``=XX`` of its UTF-8 bytes (an encoding
    error handler: the codec finds the runs in C)."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    run = error.object[error.start : error.end].encode("utf-8")
    return "=" + run.hex("=").upper(), error.end


codecs.register_error("publisher-quoted-printable", _escape_text)


def _escaped_lines(body: str) -> list[str]:
    """Return the body's lines with every byte quoted-printable escapes escaped."""
    data = body.replace("=", "=3D").encode("ascii", "publisher-quoted-printable")
    if data.translate(None, _KEPT):  # a control character: escape byte by byte
        data = _ESCAPED.sub(_escape, b"\n".join(body.encode("utf-8").splitlines()))
    else:
        data = b"\n".join(data.splitlines())
    return data.decode("ascii").split("\n")


@lru_cache(maxsize=4)  # the email's HTML is weighed by check, then written in its message
def encoded_body(body: str, width: int = BODY_WIDTH) -> tuple[str, str]:
    """Return a text body's Content-Transfer-Encoding and its lines in it, CRLF ended:
    quoted-printable, or base64 where that is shorter (most text in other scripts than the
    Latin one: a Cyrillic letter is 6 bytes quoted-printable, 2.7 in base64). A mailbox, and
    Gmail's clipping, count what arrives."""
    qp = quoted_printable(body, width)
    try:  # the lines as the package encodes them (set_content: CRLF line ends)
        data = b"\r\n".join(body.encode("utf-8").splitlines()) + b"\r\n"
    except UnicodeEncodeError:  # a lone surrogate: only quoted-printable escapes it
        return "quoted-printable", qp
    step = width // 4 * 3  # bytes a line, as the package's _encode_base64 takes them
    lines = [
        binascii.b2a_base64(data[i : i + step], newline=False) for i in range(0, len(data), step)
    ]
    b64 = "".join(line.decode("ascii") + "\r\n" for line in lines)
    return ("base64", b64) if len(b64) < len(qp) else ("quoted-printable", qp)


def quoted_printable(body: str, width: int = BODY_WIDTH) -> str:
    """Return a text body in quoted-printable with CRLF line ends, as ``set_content`` and the
    generator make it (``quoprimime.body_encode``'s lines, its per-character table lookup
    replaced by escaping whole runs: "=" by replacement, non-ASCII text by the codec)."""
    out: list[str] = []
    append = out.append
    last = width - 1
    for line in _escaped_lines(body):
        start = 0
        laststart = len(line) - 1 - width
        while start <= laststart:  # soft breaks, never inside an escape
            stop = start + last
            if line[stop - 2] == "=":
                append(line[start : stop - 1])
                start = stop - 2
            elif line[stop - 1] == "=":
                append(line[start:stop])
                start = stop - 1
            else:
                append(line[start:stop] + "=")
                start = stop
        if line and line[-1] in " \t":  # a space or tab that ends a line is escaped
            room = start - laststart
            code = "=20" if line[-1] == " " else "=09"
            if room >= 3:
                append(line[start:-1] + code)
            elif room == 2:
                append(line[start:] + "=\r\n")
            else:
                append(line[start:-1] + "=\r\n" + code)
        else:
            append(line[start:])
    append("")
    return "\r\n".join(out)
