"""Render one issue from one parse: its email (MJML → HTML), plain-text twin and article."""

from __future__ import annotations

import datetime as dt
from functools import partial
from pathlib import Path
from urllib.parse import quote

from publisher import __version__
from publisher.config import LOGOS, Config, load_config, logo_file, setting_problem
from publisher.errors import Problem, PublisherError, closest
from publisher.language import format_date, language
from publisher.model.issue import (
    Issue,
    issue_files,
    load_issue,
    load_issues,
    load_one,
    named_file,
    slug_from_path,
)
from publisher.model.markdown import Document, parse
from publisher.render import utm
from publisher.render.context import Endnote, IssueView, TemplateContext
from publisher.render.email import (
    LOGO_WIDTH,
    compile_mjml,
    email_blocks,
    fragment_renderer,
    image_heights,
    inline_css,
    isolate_direction,
)
from publisher.render.images import (
    ImageProblem,
    Variant,
    display_size,
    email_variant,
    full_variant,
    read,
)
from publisher.render.mjml_rules import line_in, validate
from publisher.render.nesting import MAX_DEPTH, MAX_EMAIL_DEPTH, TooDeep, too_deep
from publisher.render.refs import (
    CARD,
    IssueAt,
    SiteIndex,
    dependencies,
    published_files,
    real_root,
    resolve,
    resolve_card,
)
from publisher.render.rendered import Rendered
from publisher.render.sanitize import absolute_url
from publisher.render.shelf import Gallery, Shelf, shelf_of
from publisher.render.text import render_text
from publisher.render.theme import Theme
from publisher.render.web import article_html, social_image
from publisher.strings import Strings

EMAIL_TEMPLATE = "email.mjml.j2"
EMAIL_CSS = "email.css.j2"
TEXT_TEMPLATE = "email.txt.j2"
#: Zero-width and non-breaking characters after the preheader keep body text out of the preview.
PREHEADER_PADDING = "\u034f\u200c\u00a0" * 90
PREHEADER_MAX = 180


def render_issue(
    issue: Issue,
    config: Config,
    theme: Theme,
    doc: Document | None = None,
    index: IssueAt | None = None,
    shelf: Shelf | None = None,
) -> Rendered:
    """Render an issue's email, plain text and article from one parse (``doc``, if the caller
    has read the body already; else links to other issues are found through ``index``), and
    make the image variants they show on ``shelf`` (the folder's, by default)."""
    doc = doc or read_body(issue, theme.root, index or lazy_index(theme.root, config))
    gallery = Gallery(shelf or shelf_of(theme.root), source_dir(issue))
    context = build_context(issue, doc, config, gallery)
    variables = context.as_dict() | strings_of(issue, config).template_functions()
    mjml = theme.render(EMAIL_TEMPLATE, variables)
    _bound_nesting(mjml, theme.path_of(EMAIL_TEMPLATE))
    _validate_mjml(mjml, theme.path_of(EMAIL_TEMPLATE))
    css = theme.render(EMAIL_CSS, variables)
    heights = {b.src: b.height for b in context.blocks if b.kind == "image" and b.height}
    if context.logo_height:
        heights[context.logo_url] = context.logo_height
    if context.logo_dark_height:
        heights[context.logo_dark_url] = context.logo_dark_height
    html = inline_css(compile_mjml(mjml, theme.path_of(EMAIL_TEMPLATE)), css)
    html = image_heights(html, heights)
    text = _normalise_text(theme.render(TEXT_TEMPLATE, variables))
    if config.links.utm:
        tag = utm.tagger(config, issue.slug)
        html, text = utm.tag_html(html, tag), utm.tag_text(text, tag)
    url = issue.url(config)
    article = article_html(doc, url, gallery, strings_of(issue, config))
    card = next((r for r in doc.refs if r.role == CARD), None)
    image, feed_image = social_image(
        doc,
        issue.image if card is None else "",
        card.picture if card is not None else None,
        issue.image_focus,
        url,
        gallery,
    )
    for ref in doc.refs:  # a link to an image file leads to its cleaned copy
        if ref.role == "link" and ref.picture is not None:
            gallery.use(full_variant(ref.picture), ref.line)
    gallery.make()
    for variant, source in logos_of(config):
        gallery.shelf.make(source, [variant])
    return Rendered(
        issue=issue,
        view=context.issue,
        mjml=mjml,
        html=html,
        text=text,
        article_html=article,
        image=image,
        feed_image=feed_image,
        files=published_files(doc.refs),
        images=gallery.published(),
        image_bytes=gallery.email_bytes(),
        deps=dependencies(doc.refs),
        refs=doc.refs,
    )


def _bound_nesting(mjml: str, template: Path) -> None:
    """Stop on MJML nested so deep that mjml-python would crash (the issue's own markup is
    bounded apart, at its lines: this is the theme's)."""
    tag = too_deep(mjml, MAX_EMAIL_DEPTH)
    if tag is not None:
        raise PublisherError.at(
            f"the email template makes MJML that nests more than {MAX_EMAIL_DEPTH} elements "
            f"inside one another (past the limit at {tag[:40]}): mjml-python cannot compile it",
            template,
            hint="nest fewer components and tags inside one another in that template",
        )


def _validate_mjml(mjml: str, template: Path) -> None:
    """Stop on MJML that MJML does not know (mjml-python would drop it without a word)."""
    problems = validate(mjml)
    if problems:
        raise PublisherError(
            [
                Problem(
                    f"the email template makes MJML that MJML does not know: {p.message}",
                    template,
                    line_in(template, p.needles),
                    "use MJML's documented components and attributes "
                    "(https://documentation.mjml.io)",
                )
                for p in dict.fromkeys(problems)
            ]
        )


def read_body(issue: Issue, root: Path, index: IssueAt) -> Document:
    """Parse an issue's body once and resolve its links and images (``refs.resolve``), and the
    front matter's ``image`` when it names a file."""
    doc = parse(issue.body, issue.language)
    root = real_root(root)
    card = resolve_card(issue, root)
    doc.refs = resolve(doc.tokens, issue, root, index) + ((card,) if card else ())
    return doc


def logo_of(config: Config, name: str = "logo") -> tuple[Variant, Path] | None:
    """Return the email's logo file of the setting ``name`` (twice as wide as shown) and the
    file it is made from, when the logo is a file of the folder (``load_config`` has checked it
    is one); an image that cannot be the logo is an error at its setting."""
    source = logo_file(config, name)
    if source is None:
        return None
    value = getattr(config, name)
    try:
        picture = read(source, Path(value).as_posix())
    except ImageProblem as exc:
        message = f"setting `{name}`: {value!r} cannot be the logo: {exc.message}"
        raise PublisherError(setting_problem(config, None, name, message, exc.hint)) from exc
    return email_variant(picture, display_size(picture, LOGO_WIDTH)[0]), source


def logos_of(config: Config) -> list[tuple[Variant, Path]]:
    """Return the logo files of the folder the email shows (the logo, and the dark one)."""
    return [logo for name in LOGOS if (logo := logo_of(config, name)) is not None]


def lazy_index(root: Path, config: Config, now: dt.datetime | None = None) -> SiteIndex:
    """Return an index that loads a linked issue's file when a link first needs it."""
    return SiteIndex(root, now or dt.datetime.now(dt.UTC), load=partial(_load_quietly, config))


def _load_quietly(config: Config, path: Path) -> Issue | None:
    issue, _, _ = load_one(path, config)
    return issue


def source_dir(issue: Issue) -> Path:
    """Return the folder an issue's relative image paths start from."""
    return issue.folder or issue.source.parent


def build_context(
    issue: Issue, doc: Document, config: Config, gallery: Gallery | None = None
) -> TemplateContext:
    """Assemble the documented template context for one issue."""
    url = issue.url(config)
    try:
        blocks, notes = email_blocks(doc, url, gallery)
    except TooDeep as exc:
        raise exc.in_file(issue.source, issue.body_line) from None
    words = strings_of(issue, config)
    plain = render_text(doc.tokens, url, strings=words)
    notes_text = dict(plain.notes)
    endnotes = [Endnote(n.number, n.html, notes_text.get(n.number, "")) for n in notes]
    view = issue_view(issue, doc, config)
    if too_deep(view.signoff_html, MAX_DEPTH) is not None:
        raise _deep_signoff(issue, config)
    logo_url, logo_height = _logo(config, "logo")
    logo_dark_url, logo_dark_height = _logo(config, "logo_dark") if logo_url else ("", 0)
    return TemplateContext(
        newsletter=config,
        issue=view,
        blocks=blocks,
        endnotes=endnotes,
        body_text=plain.body,
        links=plain.links,
        unsubscribe_url=config.unsubscribe.link,
        logo_url=logo_url,
        logo_height=logo_height,
        logo_dark_url=logo_dark_url,
        logo_dark_height=logo_dark_height,
        mso_fonts={
            "body": mso_font(config.fonts.body, "serif"),
            "heading": mso_font(config.fonts.heading, "sans-serif"),
            "code": mso_font(config.fonts.code, "monospace"),
        },
        footer_reason=(
            config.footer.reason.replace("{name}", config.name)
            if config.footer.reason
            else words.gettext("footer_reason", name=config.name)
        ),
        social=[(label, link) for label, link in config.social.items()],
        preheader_padding=PREHEADER_PADDING,
        version=__version__,
    )


#: Fonts Outlook for Windows has (Windows' own and Office's), lower case.
WINDOWS_FONTS = frozenset(
    {
        "arial", "helvetica", "georgia", "times new roman", "verdana", "tahoma", "trebuchet ms",
        "segoe ui", "calibri", "cambria", "candara", "constantia", "corbel", "consolas",
        "courier new", "lucida console", "palatino linotype", "book antiqua", "garamond",
        "century gothic", "franklin gothic medium", "lucida sans unicode", "sitka text",
    }
)  # fmt: skip
#: A Windows font for each generic family, by the kind a stack names (else its role's).
WINDOWS_GENERIC = {
    "serif": "Georgia, 'Times New Roman', serif",
    "sans-serif": "Arial, sans-serif",
    "monospace": "Consolas, 'Courier New', monospace",
}


def mso_font(stack: str, kind: str) -> str:
    """Return ``stack`` for Outlook for Windows, which shows a stack's first font or else Times
    New Roman: the fonts Windows has, in order, then a Windows font of the stack's kind."""
    names = [name.strip().strip("'\"") for name in stack.split(",") if name.strip()]
    kind = next((n.lower() for n in names if n.lower() in WINDOWS_GENERIC), kind)
    kept = [f"'{n}'" if " " in n else n for n in names if n.lower() in WINDOWS_FONTS]
    fallback = [f for f in WINDOWS_GENERIC[kind].split(", ") if f not in kept]
    return ", ".join(kept + fallback)


def logo_url(config: Config) -> str:
    """Return the absolute URL of the logo (its email variant, or the web address), or empty."""
    return _logo(config, "logo")[0]


def _logo(config: Config, name: str) -> tuple[str, int]:
    """Return the absolute URL of the logo setting ``name`` (its email variant, or the web
    address) and its shown height (0: unknown), or ("", 0) when it is not set."""
    found = logo_of(config, name)
    logo = quote(found[0].name) if found else getattr(config, name)
    height = display_size(found[0].picture, LOGO_WIDTH)[1] if found else 0
    return (absolute_url(logo, config.base_url) if logo else ""), height


def preheader(issue: Issue, doc: Document) -> str:
    """Return the inbox preview text: ``summary``, else the subtitle, else the first
    paragraph, shortened."""
    text = issue.summary or issue.subtitle or doc.first_paragraph
    if len(text) > PREHEADER_MAX:
        text = text[:PREHEADER_MAX].rsplit(" ", 1)[0] + "…"
    return text


def issue_view(issue: Issue, doc: Document, config: Config) -> IssueView:
    """Return what templates know of an issue (no email rendering needed)."""
    url = issue.url(config)
    signoff = issue.signoff if issue.signoff is not None else config.signoff
    signoff_doc = parse(signoff, issue.language) if signoff else None
    direction = language(issue.language).direction
    if signoff_doc:  # fixed words, often in another language than the issue's (#34 row 15)
        isolate_direction(signoff_doc.tokens, direction)
    return IssueView(
        title=issue.title,
        subtitle=issue.subtitle,
        subject=issue.email_subject,
        date=issue.date,
        date_display=display_date(issue, config),
        url=url,
        preheader=preheader(issue, doc),
        author=issue.author,
        tags=issue.tags,
        draft=issue.draft,
        signoff_html=(
            fragment_renderer(signoff_doc, url, None, bounded=False)(signoff_doc.tokens)
            if signoff_doc
            else ""
        ),
        signoff_text=render_text(signoff_doc.tokens, url).body if signoff_doc else "",
        language=issue.language,
        direction=direction,
    )


def _deep_signoff(issue: Issue, config: Config) -> TooDeep:
    """Return the error for a sign-off nested too deep: at its front-matter key, or setting."""
    error = TooDeep.at_line(0)
    if issue.signoff is not None:
        return error.in_file(issue.source, issue.lines.get("signoff", 1))
    problem = error.problems[0]
    message = f"`signoff`: {problem.message}"
    return TooDeep(setting_problem(config, None, "signoff", message, problem.hint or ""))


def display_date(issue: Issue, config: Config) -> str:
    """Return the issue's date for people, in its language (Babel; ``date_format``)."""
    return format_date(issue.date.date(), issue.language, config.date_format)


def strings_of(issue: Issue, config: Config) -> Strings:
    """Return the theme's words in the issue's language, with the settings' ``[strings]``."""
    return Strings(issue.language, config.strings)


def _normalise_text(text: str) -> str:
    """Collapse runs of blank lines and trailing spaces that template logic leaves behind."""
    lines = [line.rstrip() for line in text.split("\n")]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip("\n") + "\n"


def render_one(root: Path, name: str, config: Config | None = None) -> Rendered:
    """Render the issue named by its file path or its slug."""
    config, issue = find_issue(root, name, config)
    return render_issue(issue, config, theme_for_render(root))


def theme_for_render(root: Path) -> Theme:
    """Return the theme for a one-off render: compiled templates are reused (and kept) only in
    a folder that has been built, where the cache already is."""
    return Theme(root, keep_compiled=(root / ".publisher-cache").is_dir())


def find_issue(root: Path, name: str, config: Config | None = None) -> tuple[Config, Issue]:
    """Return the settings and the issue named by its file path or its slug (drafts too)."""
    config = config or load_config(root)
    path = named_file(name)
    return config, load_issue(path, config) if path.is_file() else _find(root, config, name)


def _find(root: Path, config: Config, name: str) -> Issue:
    """Return the issue whose slug (or file name) is ``name``."""
    # The slug usually is the file name without its date: read those files first.
    for path in issue_files(root):
        if name in (slug_from_path(path), path.stem, path.parent.name):
            issue = load_issue(path, config)
            if name in (issue.slug, path.stem, path.parent.name):
                return issue
    issues = load_issues(root, config)
    for issue in issues:  # a slug set in front matter
        if issue.slug == name:
            return issue
    names = [i.slug for i in issues] + [slug_from_path(p) for p in issue_files(root)]
    close = closest(name, names)
    raise PublisherError.at(
        f"no issue file or slug {name!r}"
        + (f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""),
        hint="give the issue's file (issues/2025-07-15-slug.md) or its slug"
        + (f", e.g. {close[0]}" if close else ""),
    )
