"""Time `publisher` as whole processes against its targets, beside Pelican and an earlier
revision of publisher itself, all in one run.

    pip install -e '.[bench]'
    python benchmarks/run.py                 # 1,000 issues, 5 runs each, plus 10,000 issues
    python benchmarks/run.py --big 0         # skip the 10,000-issue build
    python benchmarks/run.py --baseline REV  # compare with another revision (git) of publisher

Each figure is the minimum and median of separate processes. A *cold* build has no
`.publisher-cache/` and no previous site, measured two ways for every contender: with the old
output deleted just before (as after `rm -rf site .publisher-cache`; some file systems create
files slowly for a minute or more after a big deletion) and into a folder never built (a fresh
clone: the runner first writes out its own deletions and waits, as before the rebuilds).
Pelican (the release installed) builds the same Markdown with its feeds on; the baseline
(default: the code before the second performance round) builds the same archive from a
`git archive` of its revision. The 10,000-issue build also reports the peak memory of the
whole process tree (workers included, PSS).
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
from pathlib import Path

from generate import generate

from publisher.theme import default_theme_dir

HERE = Path(__file__).resolve().parent
PUBLISHER = [sys.executable, "-m", "publisher", "-q"]
#: The revision before the second performance round: the baseline of its "0.6 x" target.
BASELINE = "3a14b3b"

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


def runs(
    n: int,
    prepare: Callable[[int], object] | None,
    command: Callable[[int], list[str]] | list[str],
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
) -> Times:
    """Time ``n`` runs of a command (``prepare(i)`` untimed before each); return min, median."""
    times = []
    for i in range(n):
        if prepare is not None:
            prepare(i)
        times.append(timed(command(i) if callable(command) else command, cwd, env=env)[0])
    return min(times), statistics.median(times)


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--big", type=int, default=10000, help="issues to scale to; 0: skip")
    parser.add_argument("--no-pelican", action="store_true")
    parser.add_argument("--baseline", default=BASELINE, help="git revision; '': none")
    args = parser.parse_args()
    n = args.runs

    # An installed package has its bytecode compiled (pip does it); a checkout run with
    # PYTHONDONTWRITEBYTECODE would compile every module again in each timed process.
    import publisher

    package = Path(publisher.__file__).parent
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(package)], check=True)
    work = Path(tempfile.mkdtemp(prefix="publisher-bench-"))
    rows: list[tuple[str, str, str, bool | None]] = []
    try:
        root = generate(work / "news", args.issues)
        build = [*PUBLISHER, "-C", str(root), "build"]
        count = f"{args.issues:,} issues"

        # Cold, two ways: the old output deleted just before, and into a folder never built
        # (as in a fresh clone). The contenders take turns, run by run, so that a slower moment
        # of the machine (or of its file system) falls on all of them alike.
        def publisher_cold(fresh: Path | None) -> list[str]:
            shutil.rmtree(root / ".publisher-cache", ignore_errors=True)
            if fresh is None:
                clean(root)
                return build
            return [*build, "--out", str(fresh)]

        #: name: (command for an output folder, or None for the usual one; cwd; environment)
        contenders: dict[
            str, tuple[Callable[[Path | None], list[str]], Path | None, dict[str, str] | None]
        ] = {"cold": (publisher_cold, None, None)}
        tree = baseline_tree(args.baseline, work) if args.baseline else None
        if tree is not None:
            env = {**os.environ, "PYTHONPATH": str(tree)}
            # Run from outside any checkout, so that `-m` finds the baseline's package.
            contenders["baseline"] = (publisher_cold, work, env)
        if not args.no_pelican:
            project = pelican_project(root, work / "pelican")

            def pelican_cold(fresh: Path | None) -> list[str]:
                if fresh is None:
                    shutil.rmtree(project / "output", ignore_errors=True)
                return pelican_command(str(fresh or "output"))

            contenders["pelican"] = (pelican_cold, project, None)
        seconds: dict[tuple[str, bool], list[float]] = {}
        for i in range(n):
            for fresh in (False, True):
                for name, (command, cwd, env) in contenders.items():
                    out = work / "fresh" / f"{name}-{i}" if fresh else None
                    argv = command(out)  # deletes the old output first, unless fresh
                    if fresh:  # as in a fresh clone: nothing was deleted seconds before
                        settle()
                    seconds.setdefault((name, fresh), []).append(timed(argv, cwd, env=env)[0])
        # The new folders stay until the end: deleting them now would slow the runs below.

        def summary(values: list[float]) -> Times:
            return min(values), statistics.median(values)

        cold = summary(seconds["cold", False])

        # Rebuilds: each starts from a finished build of the previous state, on a settled
        # file system.
        clean(root)
        timed(build)
        timed(build)
        settle()
        unchanged = runs(n, None, build)
        victim = sorted((root / "issues").iterdir())[args.issues // 2] / "index.md"
        original = victim.read_text(encoding="utf-8")

        def edit(i: int) -> None:
            victim.write_text(original + f"\nEdited sentence number {i}.\n", encoding="utf-8")

        one = runs(n, edit, build)
        settings = root / "newsletter.toml"
        plain = settings.read_text(encoding="utf-8")

        def rename(i: int) -> None:  # a setting every email shows: every issue renders again
            settings.write_text(plain.replace("Benchmark Weekly", f"Weekly {i}"), encoding="utf-8")
            timed(build)
            edit(i + 100)

        after_full = runs(n, rename, build)
        settings.write_text(plain, encoding="utf-8")
        timed(build)

        def smtp(i: int) -> None:
            settings.write_text(plain + f"\n[smtp]\ntimeout = {10 + i}\n", encoding="utf-8")

        unread = runs(n, smtp, build)
        settings.write_text(plain, encoding="utf-8")
        timed(build)
        theme = root / "templates"
        theme.mkdir(exist_ok=True)

        def template_edited(name: str, comment: str) -> Times:
            """Time builds with the bundled template ``name`` in the theme, edited each run."""
            text = (default_theme_dir() / name).read_text(encoding="utf-8")

            def edit(i: int) -> None:
                (theme / name).write_text(text + comment.format(i), encoding="utf-8")

            times = runs(n, edit, build)
            (theme / name).unlink()
            timed(build)
            return times

        stylesheet = template_edited("style.css.j2", "\n/* {} */\n")
        email_theme = template_edited("email.txt.j2", "\n{{# {} #}}\n")
        slug = victim.parent.name.split("-", 3)[3]
        render = runs(n, None, [*PUBLISHER, "-C", str(root), "render", slug])
        helps = runs(n, None, [*PUBLISHER, "--help"])

        for fresh, how in ((False, "old site deleted first"), (True, "into a new folder")):
            ours = summary(seconds["cold", fresh])
            vs = [shown(ours)]
            checks = []  # nothing to compare with: no verdict
            if ("pelican", fresh) in seconds:
                pelican = summary(seconds["pelican", fresh])
                vs.append(f"Pelican {shown(pelican)}: {ours[1] / pelican[1]:.2f}")
                checks.append(ours[1] <= pelican[1] / 4)
            if ("baseline", fresh) in seconds:
                old = summary(seconds["baseline", fresh])
                vs.append(f"{args.baseline} {shown(old)}: {ours[1] / old[1]:.2f}")
                checks.append(ours[1] <= 0.6 * old[1])
            rows.append(
                (
                    f"cold build, {count} ({how})",
                    "<= 1/4 of Pelican, <= 0.6 of " + (args.baseline or "baseline"),
                    "; ".join(vs),
                    all(checks) if checks else None,
                )
            )
        rows.append(
            (f"rebuild, nothing changed, {count}", "(for comparison)", shown(unchanged), None)
        )
        rows.append((f"one issue changed, {count}", "<= 0.4 s", shown(one), one[1] <= 0.4))
        rows.append(
            (
                "one issue changed right after a full rebuild",
                "<= 0.4 s",
                shown(after_full),
                after_full[1] <= 0.4,
            )
        )
        rows.append(("web stylesheet edited", "<= 0.5 s", shown(stylesheet), stylesheet[1] <= 0.5))
        rows.append(("`[smtp] timeout` edited", "<= 0.5 s", shown(unread), unread[1] <= 0.5))
        rows.append(
            (
                "email theme edited (every issue again)",
                f"<= cold ({cold[1]:.2f} s)",
                shown(email_theme),
                email_theme[1] <= cold[1],
            )
        )
        if args.big:
            big = generate(work / "big", args.big)
            clean(big)
            seconds, peak = timed([*PUBLISHER, "-C", str(big), "build"], memory=True)
            rows.append(
                (
                    f"cold build, {args.big:,} issues",
                    f"<= 10 x {cold[1]:.2f} s",
                    f"{seconds:.1f} s ({seconds / cold[1]:.1f}x)",
                    seconds <= 10 * cold[1],
                )
            )
            rows.append(
                (
                    f"peak memory, {args.big:,} issues",
                    "<= 250 MB",
                    f"{peak / 1e6:.0f} MB (all processes, PSS)",
                    peak <= 250e6,
                )
            )
        rows.append(("`publisher --help`", "<= 0.06 s", shown(helps), helps[1] <= 0.06))
        rows.append(("`publisher render` one issue", "<= 0.15 s", shown(render), render[1] <= 0.15))

        print(f"\n{os.cpu_count()} cores; min / median of {n} runs, whole processes\n")
        print("| measure | target | measured | met |")
        print("| --- | --- | --- | --- |")
        for name, target, figure, ok in rows:
            verdict = "" if ok is None else ("yes" if ok else "no")
            print(f"| {name} | {target} | {figure} | {verdict} |")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
