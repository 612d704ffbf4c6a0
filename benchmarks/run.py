"""Time `publisher` as whole processes, side by side with an earlier revision of itself (the
baseline) and, for cold builds, Pelican, all in one run.

    pip install -e '.[bench]'
    python benchmarks/run.py                 # 1,000 issues, 5 runs each, plus 10,000 issues
    python benchmarks/run.py --big 0         # skip the 10,000-issue builds
    python benchmarks/run.py --baseline REV  # compare with another revision (git) of publisher
    python benchmarks/run.py --without-search --baseline '' --big 0 --no-pelican
                                             # what the search index costs, side by side

Each figure is the minimum and median of separate processes; the contenders take turns run by
run, so that a slower moment of the machine falls on each alike. Each contender has its own copy
of the same generated archive. A *cold* build has no `.publisher-cache/` and no previous site,
measured two ways: with the old output deleted just before (as after `rm -rf site
.publisher-cache`; some file systems create files slowly for a minute or more after a big
deletion) and into a folder never built (a fresh clone: the runner first writes out its own
deletions and waits). Pelican (the release installed) builds the same Markdown with its feeds
on. The 10,000-issue builds also report the peak memory of the whole process tree (workers
included, PSS). A row is met when publisher's median is at most 10% over the baseline's.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from generate import generate

from publisher.render.theme import default_theme_dir

HERE = Path(__file__).resolve().parent
PUBLISHER = [sys.executable, "-m", "publisher", "-q"]
#: The last revision before the build was rebuilt as a pipeline: no row may be more than 10%
#: slower than it.
BASELINE = "176f388"
#: How much slower than the baseline a row may be.
SLOWER_BY_AT_MOST = 1.10

PELICAN_CONF = """\
AUTHOR = "Bench Writer"
SITENAME = "Benchmark Weekly"
SITEURL = "https://bench.example.org"
TIMEZONE = "UTC"
DEFAULT_LANG = "en"
PATH = "content"
STATIC_PATHS = ["."]
ARTICLE_URL = ARTICLE_SAVE_AS = "{slug}/index.html"
FEED_DOMAIN = SITEURL
FEED_ALL_ATOM = "atom.xml"
FEED_ALL_RSS = "feed.xml"
RSS_FEED_SUMMARY_ONLY = False
FEED_MAX_ITEMS = 20
TAG_FEED_ATOM = "tags/{slug}/atom.xml"
MARKDOWN = {
    "extension_configs": {
        "markdown.extensions.extra": {},
        "markdown.extensions.smarty": {},
        "markdown.extensions.meta": {},
    },
    "output_format": "html5",
}
LOAD_CONTENT_CACHE = False
"""


def pelican_project(root: Path, out: Path) -> Path:
    """Write the archive's issues as a Pelican project (same Markdown, Pelican metadata)."""
    content = out / "content"
    content.mkdir(parents=True)
    for folder in sorted((root / "issues").iterdir()):
        text = (folder / "index.md").read_text(encoding="utf-8")
        _, front, body = text.split("---\n", 2)
        meta = dict(line.split(": ", 1) for line in front.strip().splitlines())
        header = [
            f"Title: {meta['title'].strip(chr(34))}",
            f"Date: {meta['date']}",
            f"Tags: {meta['tags'].strip('[]')}",
            f"Summary: {meta['subtitle']}",
            f"Slug: {folder.name}",
        ]
        target = content / folder.name
        target.mkdir()
        (target / "index.md").write_text("\n".join(header) + "\n\n" + body, encoding="utf-8")
        for extra in folder.iterdir():
            if extra.name != "index.md":
                shutil.copyfile(extra, target / extra.name)
    (out / "pelicanconf.py").write_text(PELICAN_CONF, encoding="utf-8")
    return out


def pelican_command(out: str) -> list[str]:
    """Return the command that builds the project ``pelican_project`` wrote into ``out``."""
    return [sys.executable, "-m", "pelican", "content", "-o", out, "-s", "pelicanconf.py", "-q"]


class PeakMemory:
    """Samples the memory of a process and all its descendants: the sum of their proportional
    set sizes (PSS), which splits pages shared between forked workers instead of counting them
    once per process."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self.running = pid, 0, True
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    def _tree(self, pid: int) -> list[int]:
        pids = [pid]
        try:
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as handle:
                    for child in handle.read().split():
                        pids += self._tree(int(child))
        except OSError:
            pass
        return pids

    def _sample(self) -> None:
        while self.running:
            total = 0
            for pid in self._tree(self.pid):
                try:
                    with open(f"/proc/{pid}/smaps_rollup") as handle:
                        for line in handle:
                            if line.startswith("Pss:"):
                                total += int(line.split()[1]) * 1024
                except OSError:
                    pass
            self.peak = max(self.peak, total)
            time.sleep(0.02)

    def stop(self) -> int:
        self.running = False
        self.thread.join()
        return self.peak


def timed(
    command: list[str],
    cwd: Path | None = None,
    memory: bool = False,
    env: dict[str, str] | None = None,
) -> tuple[float, int]:
    """Run a command; return its wall time and (optionally) its tree's peak memory in bytes."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
    )
    sampler = PeakMemory(proc.pid) if memory and sys.platform.startswith("linux") else None
    code = proc.wait()
    elapsed = time.perf_counter() - started
    peak = sampler.stop() if sampler else 0
    if code:
        raise SystemExit(f"{' '.join(command)} failed with status {code}")
    return elapsed, peak


def clean(root: Path) -> None:
    for name in ("site", ".site.spare", ".site.trash", ".publisher-cache"):
        shutil.rmtree(root / name, ignore_errors=True)


def settle() -> None:
    """Let the file system get over what this runner deleted before a run that is not about
    deleting, as far as a few seconds can: right after a large deletion, ext4 without a journal
    (as on the machine this was tuned on) looks past every inode freed in the last 60 s when it
    creates a file, and in the last 360 s while the freed inodes' table is not written out
    (``recently_deleted`` in the kernel's ``fs/ext4/ialloc.c``). Write it out now, and wait
    for the writing to end; what was deleted in the last minute still costs a little."""
    os.sync()
    time.sleep(6)


Times = tuple[float, float]  # min, median


def shown(times: Times) -> str:
    digits = 3 if times[1] < 1 else 2
    return f"{times[0]:.{digits}f} / {times[1]:.{digits}f} s"


def baseline_tree(revision: str, work: Path) -> Path | None:
    """Return a copy of publisher at ``revision`` (git archive), or None outside a checkout."""
    target = work / "baseline"
    target.mkdir()
    try:
        archive = subprocess.run(
            ["git", "-C", str(HERE.parent), "archive", revision], check=True, capture_output=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(target / "publisher")], check=True
    )
    return target


@dataclass
class Contender:
    """A publisher to time: its own copy of the archive, and the environment it runs in."""

    name: str
    root: Path
    env: dict[str, str] | None = None
    cwd: Path | None = None

    def command(self, *args: str) -> list[str]:
        return [*PUBLISHER, "-C", str(self.root), *args]

    def timed(self, *args: str, memory: bool = False) -> tuple[float, int]:
        return timed(self.command(*args), self.cwd, memory=memory, env=self.env)


Row = tuple[str, dict[str, Times]]


def side_by_side(
    name: str,
    contenders: list[Contender],
    n: int,
    prepare: Callable[[Contender, int], object] | None = None,
    args: tuple[str, ...] = ("build",),
) -> Row:
    """Time ``n`` runs of each contender, taking turns; ``prepare`` runs untimed before each."""
    times: dict[str, list[float]] = {c.name: [] for c in contenders}
    for i in range(n):
        for contender in contenders:
            if prepare is not None:
                prepare(contender, i)
            times[contender.name].append(contender.timed(*args)[0])
    return name, {k: (min(v), statistics.median(v)) for k, v in times.items()}


def cold_rows(
    contenders: list[Contender], pelican: Path | None, n: int, work: Path, count: str
) -> list[Row]:
    """Time cold builds, old site deleted first and into a new folder, with Pelican's."""
    seconds: dict[tuple[str, bool], list[float]] = {}
    for i in range(n):
        for fresh in (False, True):
            for contender in contenders:
                shutil.rmtree(contender.root / ".publisher-cache", ignore_errors=True)
                args = ["build"]
                if fresh:
                    args += ["--out", str(work / "fresh" / f"{contender.name}-{i}")]
                    settle()  # as in a fresh clone: nothing was deleted seconds before
                else:
                    clean(contender.root)
                taken = contender.timed(*args)[0]
                seconds.setdefault((contender.name, fresh), []).append(taken)
            if pelican is not None:
                out = work / "fresh" / f"pelican-{i}" if fresh else None
                if fresh:
                    settle()
                else:
                    shutil.rmtree(pelican / "output", ignore_errors=True)
                taken = timed(pelican_command(str(out or "output")), pelican)[0]
                seconds.setdefault(("Pelican", fresh), []).append(taken)
    rows = []
    for fresh, how in ((False, "old site deleted first"), (True, "into a new folder")):
        figures = {
            name: (min(v), statistics.median(v)) for (name, f), v in seconds.items() if f == fresh
        }
        rows.append((f"cold build, {count} ({how})", figures))
    return rows


def rebuild_rows(contenders: list[Contender], n: int, count: str, issues: int) -> list[Row]:
    """Time the rebuilds, each from a finished build of the state before, side by side."""
    for contender in contenders:
        clean(contender.root)
        contender.timed("build")
        contender.timed("build")
    settle()
    rows = [side_by_side(f"nothing changed, {count}", contenders, n)]
    victim = sorted((contenders[0].root / "issues").iterdir())[issues // 2].name
    original = (contenders[0].root / "issues" / victim / "index.md").read_text(encoding="utf-8")

    def edit(contender: Contender, i: int) -> None:
        path = contender.root / "issues" / victim / "index.md"
        path.write_text(original + f"\nEdited sentence number {i}.\n", encoding="utf-8")

    rows.append(side_by_side(f"one issue changed, {count}", contenders, n, edit))
    plain = {c.name: (c.root / "newsletter.toml").read_text(encoding="utf-8") for c in contenders}

    def settings(contender: Contender, text: str) -> None:
        (contender.root / "newsletter.toml").write_text(text, encoding="utf-8")

    def renamed(contender: Contender, i: int) -> None:  # every issue renders again, untimed
        settings(contender, plain[contender.name].replace("Benchmark Weekly", f"Weekly {i}"))
        contender.timed("build")
        edit(contender, i + 100)

    rows.append(
        side_by_side("one issue changed right after a full rebuild", contenders, n, renamed)
    )

    def smtp(contender: Contender, i: int) -> None:
        settings(contender, plain[contender.name] + f"\n[smtp]\ntimeout = {10 + i}\n")

    rows.append(side_by_side("`[smtp] timeout` edited", contenders, n, smtp))
    for contender in contenders:
        settings(contender, plain[contender.name])
        contender.timed("build")

    def template(name: str, comment: str) -> Callable[[Contender, int], None]:
        text = (default_theme_dir() / name).read_text(encoding="utf-8")

        def edit(contender: Contender, i: int) -> None:
            theme = contender.root / "templates"
            theme.mkdir(exist_ok=True)
            (theme / name).write_text(text + comment.format(i), encoding="utf-8")

        return edit

    rows.append(
        side_by_side("web stylesheet edited", contenders, n, template("style.css.j2", "/* {} */"))
    )
    email = template("email.txt.j2", "\n{{# {} #}}\n")
    rows.append(side_by_side("email theme edited (every issue again)", contenders, n, email))
    slug = victim.split("-", 3)[3]
    rows.append(side_by_side("`publisher render` one issue", contenders, n, None, ("render", slug)))
    rows.append(side_by_side("`publisher --help`", contenders, n, None, ("--help",)))
    return rows


def big_rows(contenders: list[Contender], work: Path, issues: int) -> list[Row]:
    """Time one cold build of ``issues`` issues per contender, with its peak memory."""
    seconds: dict[str, Times] = {}
    memory: dict[str, Times] = {}
    for contender in contenders:
        root = generate(work / f"big-{contender.name}", issues)
        settle()
        big = Contender(contender.name, root, contender.env, contender.cwd)
        taken, peak = big.timed("build", memory=True)
        seconds[contender.name], memory[contender.name] = (taken, taken), (peak, peak)
        shutil.rmtree(root)
    return [(f"cold build, {issues:,} issues", seconds), (f"peak memory (PSS), {issues:,}", memory)]


def table(rows: list[Row], baseline: str) -> list[str]:
    """Return the Markdown table of ``rows``: each contender's figures, and the verdict."""
    names = list(dict.fromkeys(name for _, figures in rows for name in figures))
    lines = [
        "| measure | " + " | ".join(names) + f" | publisher / {baseline} | met |",
        "| --- " * (len(names) + 3) + "|",
    ]
    for measure, figures in rows:
        memory = measure.startswith("peak memory")
        cells = [
            (f"{figures[k][0] / 1e6:.0f} MB" if memory else shown(figures[k]))
            if k in figures
            else ""
            for k in names
        ]
        ratio, met = "", ""
        if "publisher" in figures and baseline in figures:
            value = figures["publisher"][1] / figures[baseline][1]
            ratio, met = f"{value:.2f}", "yes" if value <= SLOWER_BY_AT_MOST else "no"
        lines.append(f"| {measure} | " + " | ".join(cells) + f" | {ratio} | {met} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--big", type=int, default=10000, help="issues to scale to; 0: skip")
    parser.add_argument("--no-pelican", action="store_true")
    parser.add_argument("--baseline", default=BASELINE, help="git revision; '': none")
    parser.add_argument(
        "--without-search",
        action="store_true",
        help="also time publisher with [search] enabled = false (what Pagefind costs)",
    )
    args = parser.parse_args()

    # An installed package has its bytecode compiled (pip does it); a checkout run with
    # PYTHONDONTWRITEBYTECODE would compile every module again in each timed process.
    import publisher

    package = Path(publisher.__file__).parent
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(package)], check=True)
    work = Path(tempfile.mkdtemp(prefix="publisher-bench-"))
    try:
        contenders = [Contender("publisher", generate(work / "publisher", args.issues))]
        if args.without_search:
            root = generate(work / "no-search", args.issues)
            with (root / "newsletter.toml").open("a", encoding="utf-8") as settings:
                settings.write("\n[search]\nenabled = false\n")
            contenders.append(Contender("no search", root))
        tree = baseline_tree(args.baseline, work) if args.baseline else None
        if tree is not None:
            root = generate(work / args.baseline, args.issues)
            # Run from outside any checkout, so that `-m` finds the baseline's package.
            env = {**os.environ, "PYTHONPATH": str(tree)}
            contenders.append(Contender(args.baseline, root, env, work))
        pelican = None
        if not args.no_pelican:
            pelican = pelican_project(contenders[0].root, work / "pelican")
        count = f"{args.issues:,} issues"
        rows = cold_rows(contenders, pelican, args.runs, work, count)
        # The new folders stay until the end: deleting them now would slow the runs below.
        rows += rebuild_rows(contenders, args.runs, count, args.issues)
        if args.big:
            rows += big_rows(contenders, work, args.big)
        print(f"\n{os.cpu_count()} cores; min / median of {args.runs} runs, whole processes\n")
        print("\n".join(table(rows, args.baseline)))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
