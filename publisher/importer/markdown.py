"""An exported post's Markdown body, cleaned as the HTML bodies are.

The body is parsed as publisher parses it: each raw HTML block and tag goes through ``nh3``
(the same cleaning as an HTML body's), each link or image to a target other than http(s) or
mailto is made its text, and the paragraphs that are a template tag alone are dropped. What
was left out is counted in the ``Dropped`` tally, as for HTML bodies.
"""

from __future__ import annotations

import html as html_lib
import re
from typing import Any
from urllib.parse import unquote

from publisher.importer.html import SAFE_SCHEMES, TEMPLATE_TAG, Dropped, sanitize

#: The most times an imported Markdown body is cleaned again (what one cleaning uncovers, as
#: ``<scr<script>x</script>ipt>``, is cleaned by the next).
MAX_PASSES = 8
#: Control characters and spaces, which a browser ignores in a link's scheme.
_INVISIBLE = re.compile(r"[\x00-\x20\x7f-\x9f\s]+")
_SCHEME = re.compile(r"([a-z][a-z0-9+.-]*):", re.I)
_CLOSING_TAG = re.compile(r"</([A-Za-z][A-Za-z0-9-]*)\s*>")


def unsafe_target(url: str) -> bool:
    """Return whether a link's or an image's target has a scheme other than http(s) or mailto
    (``javascript:``, ``jav&#x61;script:``, ``java&#9;script:``, ``java%09script:``...: the
    parser percent-encodes what it decodes)."""
    decoded = _INVISIBLE.sub("", unquote(html_lib.unescape(html_lib.unescape(url))))
    match = _SCHEME.match(decoded)
    return match is not None and match.group(1).lower() not in SAFE_SCHEMES


def _all_links_parser() -> Any:
    """Return publisher's Markdown parser, but seeing every link (its own refuses
    ``javascript:`` ones, which then stay in the text as they were written)."""
    import copy

    from publisher.model.markdown import parser

    md = copy.copy(parser())
    md.validateLink = lambda url: True  # type: ignore[method-assign]
    return md


def _clean_tag(tag: str) -> str:
    """Return one raw HTML tag of a Markdown text as ``nh3`` keeps it ("" when it drops it)."""
    closing = _CLOSING_TAG.fullmatch(tag.strip())
    if closing:
        kept = sanitize(f"<{closing.group(1)}>")
        return tag if kept.startswith(f"<{closing.group(1).lower()}") else ""
    cleaned = sanitize(tag)
    name = re.match(r"<([A-Za-z][A-Za-z0-9-]*)", tag)
    if name and cleaned.endswith(f"</{name.group(1).lower()}>"):
        cleaned = cleaned[: -len(name.group(1)) - 3]
    return cleaned if cleaned.startswith("<") else ""


def _link_end(text: str, start: int) -> tuple[int, str] | None:
    """Return where an inline link's ``(destination "title")`` starting at ``start`` (its
    ``(``) ends, and its destination; None when it is no link destination."""
    i, n = start + 1, len(text)
    while i < n and text[i] in " \t\n":
        i += 1
    if i < n and text[i] == "<":
        end = text.find(">", i)
        if end < 0:
            return None
        dest, i = text[i + 1 : end], end + 1
    else:
        depth, begin = 0, i
        while i < n and not text[i].isspace():
            if text[i] == "\\":
                i += 2
                continue
            if text[i] == "(":
                depth += 1
            elif text[i] == ")":
                if depth == 0:
                    break
                depth -= 1
            i += 1
        dest = text[begin:i]
    close = i
    depth = 0
    while close < n and (text[close] != ")" or depth):  # a title, with ( ) inside
        depth += {"(": 1, ")": -1}.get(text[close], 0) if text[close - 1] != "\\" else 0
        close += 1
    return (close + 1, dest) if close < n else None


def _label_start(text: str, bracket: int) -> int | None:
    """Return where the ``[`` that the ``]`` at ``bracket`` closes is."""
    depth = 0
    for i in range(bracket, -1, -1):
        if i > 0 and text[i - 1] == "\\":
            continue
        if text[i] == "]":
            depth += 1
        elif text[i] == "[":
            depth -= 1
            if depth == 0:
                return i
    return None


def _drop_unsafe_links(text: str, dropped: Dropped) -> str:
    """Return a Markdown text with each inline link or image (``[x](...)``, ``![x](...)``)
    whose target is unsafe replaced by its text, and each such autolink
    (``<javascript:...>``) removed."""
    i = 0
    while (at := text.find("](", i)) >= 0:
        found = _link_end(text, at + 1)
        start = _label_start(text, at)
        if found is None or start is None or not unsafe_target(found[1]):
            i = at + 2
            continue
        if start > 0 and text[start - 1] == "!":
            start -= 1
        label = text[start:at].lstrip("!")[1:]
        text = text[:start] + label + text[found[0] :]
        dropped["script link"] += 1
        i = start

    def autolink(match: re.Match[str]) -> str:
        if not unsafe_target(match.group(1)):
            return match.group(0)
        dropped["script link"] += 1
        return ""  # (its text is the address itself)

    return re.sub(r"<([A-Za-z][A-Za-z0-9+.-]*:[^<>\s]*)>", autolink, text)


def _plain(children: list[Any]) -> str:
    """Return an inline's text, escaped so that it says nothing in Markdown."""
    text = "".join(c.content for c in children if c.type in ("text", "code_inline"))
    return re.sub(r"([\\`*_{}\[\]()<>#+!|&:~-])", r"\\\1", text)


def _unsafe_inline(children: list[Any]) -> bool:
    for child in children:
        if child.type == "html_inline" and _clean_tag(child.content) != child.content:
            return True
        target = child.attrs.get("href") or child.attrs.get("src") or ""
        if child.type in ("link_open", "image") and unsafe_target(str(target)):
            return True
    return False


def _clean_pass(text: str, dropped: Dropped, last: bool) -> str:
    """Clean a Markdown text once: each raw HTML block and tag through ``nh3``, each unsafe
    link or image made its text, each reference definition to an unsafe target removed."""
    env: dict[str, Any] = {}
    tokens = _all_links_parser().parse(text, env)
    lines = text.split("\n")
    edits: list[tuple[int, int, list[str]]] = []
    for ref in env.get("references", {}).values():
        if unsafe_target(str(ref.get("href", ""))) and ref.get("map"):
            dropped["script link"] += 1
            edits.append((ref["map"][0], ref["map"][1], []))
    for token in tokens:
        if token.map is None:
            continue
        a, b = token.map
        if token.type == "html_block":
            cleaned = sanitize(token.content).rstrip("\n")
            if cleaned != token.content.rstrip("\n"):
                dropped["unsafe HTML"] += 1
                edits.append((a, b, cleaned.split("\n") if cleaned.strip() else []))
        elif token.type == "inline" and _unsafe_inline(token.children or []):
            children = token.children or []
            if last:  # what cleaning did not mend: its text alone
                edits.append((a, b, _plain(children).split("\n")))
                continue
            block = "\n".join(lines[a:b])
            for child in children:
                if child.type == "html_inline":
                    kept = _clean_tag(child.content)
                    if kept != child.content:
                        dropped["unsafe HTML"] += 1
                        block = block.replace(child.content, kept, 1)
            edits.append((a, b, _drop_unsafe_links(block, dropped).split("\n")))
    for a, b, new in sorted(edits, key=lambda e: e[0], reverse=True):
        lines[a:b] = new
    return "\n".join(lines)


def _drop_template_tags(text: str, dropped: Dropped) -> str:
    """Return a Markdown text without its paragraphs that are a template tag alone
    (``{{ subscribe_form }}``): tags in code, or within a sentence, are the writer's."""
    lines = text.split("\n")
    tokens = _all_links_parser().parse(text)
    for i in range(len(tokens) - 2, 0, -1):
        opening, inline = tokens[i - 1], tokens[i]
        if opening.type != "paragraph_open" or opening.map is None:
            continue
        children = inline.children or []
        if all(c.type in ("text", "softbreak") for c in children) and TEMPLATE_TAG.fullmatch(
            inline.content.strip()
        ):
            dropped["template tag"] += 1
            del lines[opening.map[0] : opening.map[1]]
    return "\n".join(lines)


def clean_markdown(text: str, dropped: Dropped) -> str:
    """Return an exported Markdown body without template tags, nor raw HTML or links that
    could run: parsed as publisher parses it, each raw HTML part cleaned by ``nh3`` as HTML
    bodies are, each link or image to a target other than http(s) or mailto made its text."""
    text = _drop_template_tags(text.replace("\r\n", "\n").strip(), dropped)
    for n in range(MAX_PASSES + 1):
        cleaned = _clean_pass(text, dropped, last=n == MAX_PASSES)
        if cleaned == text:
            break
        text = cleaned
    return text.strip() + "\n" if text.strip() else ""


def remote_images(markdown: str) -> list[str]:
    """Return the addresses of the remote images a Markdown body shows, in order, once each."""
    found = re.findall(r"!\[(?:\\.|[^\]])*\]\((https?://[^\s)]+)", markdown)
    return list(dict.fromkeys(found))
