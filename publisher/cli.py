"""The command line: parses options, calls the commands, reports errors. No work is done here."""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from publisher import __version__
from publisher.console import progress_bar, setup_logging
from publisher.errors import PublisherError, log

#: A fixed width: help reads the same on every terminal (and docs/index.md shows it as it is).
CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "terminal_width": 100}


def _path(**options: Any) -> click.Path:
    """Return a path option's type: the command is given a ``pathlib.Path``."""
    return click.Path(path_type=Path, **options)


class _Group(click.Group):
    """Turns user errors into a message and exit status 1 (tracebacks are for our bugs)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PublisherError as exc:
            colour = sys.stderr.isatty() and "NO_COLOR" not in os.environ
            text = exc.format()
            if colour:
                text = text.replace("error:", click.style("error:", fg="red", bold=True))
            click.echo(text, err=True)
            ctx.exit(1)


def _out_option(text: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Return the -o/--out option (a site folder) with its help ``text``."""
    return click.option("-o", "--out", type=_path(file_okay=False), default=None, help=text)


@click.group(cls=_Group, context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, "-V", "--version", prog_name="publisher")
@click.option(
    "-C",
    "--directory",
    "root",
    type=_path(file_okay=False),
    default=".",
    show_default=True,
    help="Work in this newsletter folder, as if started there (paths are relative to it), "
    "e.g. -C ~/my-newsletter.",
)
@click.option("-v", "--verbose", count=True, help="Say more (repeat for debug output).")
@click.option("-q", "--quiet", count=True, help="Say less: only warnings and errors.")
@click.pass_context
def cli(ctx: click.Context, root: Path, verbose: int, quiet: int) -> None:
    """Turn a folder of Markdown issues into email, plain text, a web archive and feeds.

    \b
    Start:    publisher init my-newsletter
    Render:   publisher render issues/2025-07-15-grain.md --format text
    Publish:  publisher build
    """
    setup_logging(verbose, quiet)
    if root != Path("."):
        try:
            os.chdir(root)  # like git -C: every path given is then relative to the folder
        except OSError as exc:
            raise click.BadParameter(f"{root}: {exc.strerror}", param_hint="'-C'") from exc
    ctx.obj = Path(".")


@cli.command()
@click.argument("directory", type=_path(file_okay=False), default=".")
@click.option("--name", help='The newsletter\'s name, e.g. --name "The Long View".')
@click.option(
    "--email",
    callback=lambda ctx, param, value: _address(value, "--email") if value else None,
    help="Your address: the sender of the emails, e.g. --email you@example.org.",
)
@click.option(
    "--theme/--no-theme",
    default=False,
    help="Also copy the default theme into templates/ to customise it.",
)
@click.option(
    "--github-pages",
    is_flag=True,
    help="Also write .github/workflows/publish.yml: on every push to main, GitHub checks, "
    "builds and publishes the site. In a folder made already, only the workflow is written.",
)
@click.option(
    "--install",
    metavar="SPEC",
    help="With --github-pages: what the workflow's pip installs publisher from (default: the "
    "git repository this copy came from), e.g. --install git+https://github.com/you/publisher",
)
def init(
    directory: Path,
    name: str | None,
    email: str | None,
    theme: bool,
    github_pages: bool,
    install: str | None,
) -> None:
    """Lay out a new newsletter folder: settings and a sample issue.

    Refuses to overwrite anything.

    Example: publisher init my-newsletter --name "The Long View" --email you@example.org
    """
    from publisher.scaffold import init as run_init

    if install and not github_pages:
        raise click.UsageError("--install goes with --github-pages")
    written = run_init(directory, name, theme, email, github_pages, install)
    for path in written:
        log.info("wrote %s", path)
    if github_pages:
        log.info("on GitHub, once: Settings > Pages > Source: GitHub Actions; then push")
    if len(written) > 1:  # not only the workflow, in a folder made already
        log.info("next: cd %s && publisher render issues/*.md --format text", directory)


@cli.group()
def theme() -> None:
    """Copy the bundled theme into templates/ to change it, or list its templates.

    Example: publisher theme copy email.mjml.j2
    """


@theme.command("copy")
@click.argument("templates", nargs=-1)
@click.pass_obj
def theme_copy(root: Path, templates: tuple[str, ...]) -> None:
    """Copy the bundled theme (or the TEMPLATES named) into templates/; never overwrites.

    Your copy wins over the bundled template of the same name; delete it to go back.

    Example: publisher theme copy base.html.j2 style.css.j2
    """
    from publisher.scaffold import copy_theme

    copied, kept = copy_theme(root, templates)
    for path in copied:
        log.info("wrote %s", path)
    for path in kept:
        log.info("kept %s (yours; not overwritten)", path)


@theme.command("list")
@click.pass_obj
def theme_list(root: Path) -> None:
    """List each template: yours or bundled, its blocks and the variables it receives.

    Example: publisher theme list
    """
    from publisher.scaffold import theme_listing

    for line in theme_listing(root):
        click.echo(line)


@cli.command()
@click.argument("title")
@click.option(
    "--date",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Publication date, YYYY-MM-DD (default: today). Example: --date 2025-07-15",
)
@click.option("--slug", help="URL slug (default: from the title). Example: --slug grain-corridor")
@click.option("--tag", "tags", multiple=True, help="A tag; repeat for more. Example: --tag energy")
@click.option(
    "--folder",
    is_flag=True,
    help="Make a folder with index.md, to keep the issue's images beside it.",
)
@click.pass_obj
def new(
    root: Path,
    title: str,
    date: dt.datetime | None,
    slug: str | None,
    tags: tuple[str, ...],
    folder: bool,
) -> None:
    """Start a draft issue: issues/<date>-<slug>.md with front matter and a skeleton.

    Never overwrites.

    Example: publisher new "The grain corridor" --tag food --folder
    """
    from publisher.scaffold import new_issue

    path = new_issue(root, title, date.date() if date else None, slug, tags, folder)
    click.echo(os.path.relpath(path))


@cli.command()
@click.argument("paths", nargs=-1, type=_path(exists=True))
@click.option("--strict", is_flag=True, help="Fail on warnings too, e.g. in CI: --strict")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text: file:line:col: level rule message; json: a list for editors and CI.",
)
@_out_option("The built site to compare feed ids with (default: site/), as given to build --out.")
@click.option(
    "--links",
    is_flag=True,
    help="Also ask every site the issues link to whether the page is still there (over the "
    "network; answers kept a day in .publisher-cache/), e.g. check --links",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=10.0,
    show_default=True,
    metavar="SECONDS",
    help="With --links: how long to wait for a site before its link could not be checked.",
)
@click.pass_obj
def check(
    root: Path,
    paths: tuple[Path, ...],
    strict: bool,
    fmt: str,
    out: Path | None,
    links: bool,
    timeout: float,
) -> None:
    """Find what is wrong or risky in every issue (or the PATHS given) and the settings.

    Exit status 1 when there is an error (or, with --strict, a warning). Links to other sites
    are checked over the network only with --links.

    Example: publisher check issues/2025-07-15-grain.md --strict
    """
    import json

    from publisher.check import exit_status, run_checks

    findings = run_checks(root, paths, out=out, links=links, timeout=timeout)
    if fmt == "json":
        click.echo(json.dumps([f.as_dict() for f in findings], ensure_ascii=False, indent=2))
    else:
        for finding in findings:
            click.echo(finding.format())
        counts = {level: sum(f.level == level for f in findings) for level in LEVEL_NAMES}
        summary = ", ".join(f"{n} {name}{'s' if n != 1 else ''}" for name, n in counts.items())
        click.echo(summary if findings else "no problems found", err=True)
    sys.exit(exit_status(findings, strict))


LEVEL_NAMES = ("error", "warning", "info")


@cli.command()
@click.argument("issue")
@click.option(
    "-f",
    "--format",
    "fmt",
    type=click.Choice(["html", "text", "mjml", "eml"]),
    default="html",
    show_default=True,
    help="What to print: the email's HTML, its plain-text twin, the MJML source, or the whole "
    "MIME message (.eml).",
)
@click.pass_obj
def render(root: Path, issue: str, fmt: str) -> None:
    """Print one issue's email to stdout, to paste into an email service.

    ISSUE is the issue's file or its slug.

    Example: publisher render grain-corridor --format text
    """
    if fmt == "eml":
        from publisher.render.message import eml_of

        sys.stdout.buffer.write(eml_of(root, issue))
        return
    from publisher.build.cache import built_email
    from publisher.config import load_config

    config = load_config(root)
    # The email the last build published, when nothing it is made from changed since (MJML is
    # never kept).
    built = built_email(root, config, issue) if fmt != "mjml" else None
    if built is not None:
        output = str(built[fmt])
    else:
        from publisher.render.issue import render_one

        rendered = render_one(root, issue, config)
        output = {"html": rendered.html, "text": rendered.text, "mjml": rendered.mjml}[fmt]
    click.echo(output, nl=not output.endswith("\n"))


@cli.command()
@_out_option(
    "Where to write the site (default: site/ in the newsletter folder), e.g. --out public."
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(1),
    default=None,
    help="Processes that render issues (default: one per core). Example: --jobs 1",
)
@click.option(
    "--no-cache",
    is_flag=True,
    help="Render every issue again, neither reading nor updating .publisher-cache/.",
)
@click.option(
    "--no-wait",
    is_flag=True,
    help="Fail at once if another build of this folder is running, instead of waiting for it.",
)
@click.pass_obj
def build(root: Path, out: Path | None, jobs: int | None, no_cache: bool, no_wait: bool) -> None:
    """Write the web archive, feeds and every published issue's email into site/.

    Drafts and issues dated in the future are left out. The site is built in a temporary folder
    and swapped in whole: the previous site/ stays as it was if anything fails.

    Example: publisher build --out public
    """
    from publisher.build.pipeline import build as run_build

    result = run_build(
        root, out, progress=progress_bar, jobs=jobs, cache=not no_cache, wait=not no_wait
    )
    drafts = ""
    if result.draft_files:
        shown = ", ".join(result.draft_files[:3]) + (", ..." if result.drafts > 3 else "")
        drafts = f"; {plural(result.drafts, 'draft')} not published ({shown}): remove "
        drafts += "`draft: true` from a draft's front matter to publish it"
    log.info(
        "built %s into %s in %.2f s (%d scheduled skipped)%s",
        plural(result.built, "issue"),
        os.path.relpath(result.out),
        result.seconds,
        result.scheduled,
        drafts,
    )


def plural(n: int, word: str) -> str:
    """Return ``n word`` or ``n words``."""
    return f"{n} {word}{'' if n == 1 else 's'}"


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    default=8000,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port to listen on; 0 picks a free one. Example: --port 0",
)
@click.option("--open", "open_browser", is_flag=True, help="Open the preview in your browser.")
@click.pass_obj
def preview(root: Path, host: str, port: int, open_browser: bool) -> None:
    """Serve every issue, drafts included, and reload the page as you save.

    Shows each email at desktop and phone widths, light and dark, its plain text, web page,
    source and size.

    Example: publisher preview --open
    """
    import time

    from publisher.preview.server import is_loopback, start

    if not is_loopback(host):
        log.warning("listening on %s: anyone who can reach this machine can read your drafts", host)
    try:
        server = start(root, host, port)
    except OSError as exc:
        raise PublisherError.at(
            f"cannot listen on {host}:{port}: {exc.strerror}",
            hint="choose another port with --port, or --port 0 for any free one",
        ) from exc
    click.echo(f"Preview: {server.url}  (Ctrl-C to stop)")
    if open_browser:
        import webbrowser

        webbrowser.open(server.url)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
        server.server_close()


def _address(value: str, option: str) -> str:
    """Return ``value`` if it is exactly one valid email address, else a usage error."""
    from publisher.config import address_problem
    from publisher.config.options import ENCODED_WORD, ENCODED_WORD_WHY

    why = address_problem(value.strip()) if value.strip() == value else "it has spaces"
    if not why and ENCODED_WORD in value:  # the settings and a message's To refuse it
        why = f"it holds {ENCODED_WORD_WHY}"
    if why:
        raise click.BadParameter(
            f"{value!r} is not one address ({why}); give one address per {option}, "
            f"e.g. {option} me@example.org"
        )
    return value


def _one_address_each(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> tuple[str, ...]:
    """Accept exactly one valid email address per --to."""
    return tuple(_address(value, "--to") for value in values)


@cli.command()
@click.argument("issue")
@click.option(
    "--to",
    "recipients",
    multiple=True,
    required=True,
    callback=_one_address_each,
    help="Who gets the test, one address; repeat for more. Example: --to me@example.org",
)
@click.option(
    "--prefix/--no-prefix",
    default=True,
    show_default=True,
    help="Start the subject with [TEST].",
)
@click.option(
    "--inline-images/--web-images",
    "inline",
    default=True,
    show_default=True,
    help="Carry the issue's local images inside the message (the site need not be online), "
    "or leave them at their web addresses, as readers get them.",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Say what the message holds and print it instead of sending it, e.g. > test.eml.",
)
@click.pass_obj
def send(
    root: Path, issue: str, recipients: tuple[str, ...], prefix: bool, inline: bool, dry_run: bool
) -> None:
    """Send ISSUE (its file or slug; drafts too) to yourself over SMTP, images inside it.

    The test shows what readers will see, now: dated now, under a new Message-ID each time,
    To the recipients, the issue's local images inside it (images of other hosts load from
    the web). It goes through the server under [smtp] in the settings; the password comes
    only from the environment variable PUBLISHER_SMTP_PASSWORD.

    Example: publisher send grain-corridor --to me@example.org
    """
    from publisher.render.message import send_issue, summary

    proof = send_issue(root, issue, recipients, prefix=prefix, dry_run=dry_run, inline=inline)
    if dry_run:
        sys.stdout.buffer.write(proof.data)
    else:
        log.info("sent to %s: %s", ", ".join(recipients), summary(proof))


@cli.command()
@click.argument("issue")
@click.option(
    "--dry-run", is_flag=True, help="Print each request (no key, no content) instead of making it."
)
@click.pass_obj
def push(root: Path, issue: str, dry_run: bool) -> None:
    """Make ISSUE (file or slug) a draft in your email service, or update that draft.

    The service is the one under [push] in the settings: buttondown, listmonk, mailchimp, kit
    or ghost. Nothing is ever sent, scheduled or published. The draft's id is kept in
    publisher-push.json; the key comes only from the environment variable PUBLISHER_PUSH_KEY.

    Example: publisher push grain-corridor --dry-run
    """
    from publisher.push import push_issue

    for line in push_issue(root, issue, dry_run=dry_run, show=click.echo).report():
        log.info("%s", line)


@cli.command("import")
@click.argument("source")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["substack", "buttondown", "ghost", "feed"]),
    default=None,
    help="The export's format (default: told from the file). Example: --format ghost",
)
@click.option(
    "--old-site",
    default="",
    metavar="URL",
    help="The newsletter's old address, for the old links' map and Substack's and Buttondown's "
    "feed ids. Example: --old-site https://grain.substack.com/",
)
@click.option(
    "--old-feed",
    default="",
    metavar="URL",
    help="The old site's feed (its address, or a saved copy): each post it holds keeps the id "
    "it has there, so feed readers see no post twice. Example: --old-feed "
    "https://grain.substack.com/feed",
)
@click.option("--dry-run", is_flag=True, help="List what would be written; write nothing.")
@click.option(
    "--download-images",
    is_flag=True,
    help="Save each issue's remote images beside it (the issue becomes a folder).",
)
@click.pass_obj
def import_(
    root: Path,
    source: str,
    fmt: str | None,
    old_site: str,
    old_feed: str,
    dry_run: bool,
    download_images: bool,
) -> None:
    """Turn another platform's posts into issue files (Substack, Buttondown, Ghost, a feed).

    SOURCE is a Substack or Buttondown export zip, a Ghost JSON export, or an RSS or Atom
    feed (a file or a URL). Never overwrites a file; a second import of the same export
    changes nothing. Each old post's address and feed id are kept (imported.json lists where
    each went).

    Example: publisher import substack-export.zip --old-site https://grain.substack.com/
    """
    from publisher.importer.run import run

    report = run(
        root, source, fmt, dry_run, download_images, old_site, echo=click.echo, old_feed=old_feed
    )
    click.echo(report.summary(dry_run))
    if report.problems:
        raise PublisherError(report.problems)


def main() -> None:
    """Run the CLI (the ``publisher`` console script)."""
    cli(prog_name="publisher")
