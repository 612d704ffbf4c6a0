"""The rules on what the theme makes of an issue: the email's weight and unsubscribe link, and
the web pages' templates."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

from publisher.check.rules import Finding, Rule, from_problem, shown
from publisher.config import Config
from publisher.errors import PublisherError
from publisher.model.issue import Issue
from publisher.render.mime import encoded_body
from publisher.render.rendered import Rendered
from publisher.render.shelf import shelf_of
from publisher.render.theme import Theme

#: Gmail clips an email whose HTML, as its servers receive it (the part's encoded bytes, not
#: the text they decode to), passes about 102 KB; check warns from 80 KB.
GMAIL_CLIP = 102 * 1024
GMAIL_WARN = 80 * 1024
#: What an email service adds to each link when it counts clicks: it puts an address of its
#: own in its place, of 150 to 400 characters (Mailchimp, SendGrid, Mailgun, Brevo...). The
#: size check counts 300 bytes a link, quoted-printable escapes included.
TRACKED_LINK = 300
#: A link an email service rewrites: every <a href> but a mailto: or an anchor.
_LINK = re.compile(r"<a\s[^>]*?\bhref=\"(?!mailto:|#)", re.IGNORECASE)
#: One image file of the email over this is worth a look (a photo at 1200 px is ~100 KB).
HEAVY_IMAGE = 200 * 1024
#: The email with its images: about 5 s to load on a slow mobile link (1.6 Mbit/s, the "slow
#: 4G" profile of Chrome's Lighthouse).
HEAVY_EMAIL = 1024 * 1024


def received_size(html: str) -> int:
    """Return the bytes of the email's HTML as a mailbox receives it: its part of the message
    as ``render.mime`` writes it (quoted-printable, where an ASCII byte stays one byte and any
    other becomes three, or base64 where that is shorter, as for a Cyrillic text), and
    ``TRACKED_LINK`` bytes more for each link an email service rewrites to count clicks."""
    return len(encoded_body(html)[1]) + TRACKED_LINK * len(_LINK.findall(html))


def email_findings(issue: Issue, rendered: Rendered, config: Config, root: Path) -> list[Finding]:
    """Run the rules that need the rendered email."""
    file = shown(issue.source, root)
    size = received_size(rendered.html)
    found = []
    if size >= GMAIL_WARN:
        found.append(_size_finding(rendered.html, size, file))
    found += _weight_findings(issue, rendered, file, size, root)
    if f'href="{config.unsubscribe.link}"' not in rendered.html:
        found.append(
            Rule.SET003.at(
                file,
                (1, 1),
                "the email has no unsubscribe link; fix: keep "
                "{{ unsubscribe_url }} in your email template's footer",
            )
        )
    return found


def _size_finding(html: str, size: int, file: str) -> Finding:
    """Return SIZE002 (Gmail clips the email) or SIZE001 (close to it), with what the size is
    made of."""
    text = len(html.encode("utf-8"))
    links = len(_LINK.findall(html))
    made_of = (
        f"the email's HTML is {size / 1024:.0f} KB as a mailbox receives it ({text / 1024:.0f} "
        f"KB of text, {(size - text - links * TRACKED_LINK) / 1024:.0f} KB more once encoded "
        f"for sending, and {links * TRACKED_LINK / 1024:.0f} KB for the {links} links an email "
        "service rewrites to count clicks)"
    )
    if size >= GMAIL_CLIP:
        return Rule.SIZE002.at(
            file,
            (1, 1),
            f"{made_of}; Gmail clips emails over 102 KB; fix: shorten it or split it in two",
        )
    return Rule.SIZE001.at(
        file, (1, 1), f"{made_of}, close to Gmail's 102 KB clipping; fix: shorten it"
    )


def _weight_findings(
    issue: Issue, rendered: Rendered, file: str, html_bytes: int, root: Path
) -> list[Finding]:
    """Warn about email images that stay heavy once resized, and an email too heavy to open
    quickly with its images."""
    shelf = shelf_of(root)
    found = []
    for image in rendered.images:
        size = shelf.size_of(image.shelf_name) if image.email else 0
        if size > HEAVY_IMAGE:
            source = image.name.rsplit("-", 1)[0]
            found.append(
                Rule.IMG004.at(
                    file,
                    (issue.body_line + image.line, 1),
                    f"an image of {source!r} is still {size / 1024:.0f} KB in the email at the "
                    "size it is shown (an animation or a detailed drawing resizes badly); fix: "
                    "shorten the animation, or export a simpler picture",
                )
            )
    total = html_bytes + rendered.image_bytes
    if total > HEAVY_EMAIL:
        found.append(
            Rule.IMG008.at(
                file,
                (1, 1),
                f"the email weighs {total / 1024:.0f} KB with its images (HTML "
                f"{html_bytes / 1024:.0f} KB, images {rendered.image_bytes / 1024:.0f} KB): "
                "about 5 s on a slow mobile link; fix: show fewer images, or link to them",
            )
        )
    return found


def web_findings(
    theme: Theme, config: Config, rendered: Sequence[tuple[Issue, Rendered]], root: Path
) -> list[Finding]:
    """Render the web pages of ``rendered`` through the code ``build`` uses; every template
    error is a finding at the template's line."""
    from publisher.render.pages import Pages

    found: list[Finding] = []
    newest = sorted(rendered, key=lambda pair: (pair[0].date, pair[0].slug), reverse=True)
    pages = Pages(theme, config, [(issue, r.view) for issue, r in newest])
    jobs: list[Callable[[], str]] = [pages.index, pages.style]
    jobs += [partial(pages.issue, r) for _, r in newest]
    jobs += [partial(pages.tag, tag) for tag in pages.tags.values()]
    for job in jobs:
        try:
            job()
        except PublisherError as exc:
            found += [from_problem(Rule.TPL001, p, root) for p in exc.problems]
    return found
