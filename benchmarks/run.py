"""Time `publisher` as whole processes against its targets, and Pelican on the same archive.

    pip install -e '.[bench]'
    python benchmarks/run.py                 # 1,000 issues, 5 runs each, plus 10,000 issues
    python benchmarks/run.py --big 0         # skip the 10,000-issue build

Every figure is the median wall time of separate `publisher` processes. Pelican (the release
installed) builds the same Markdown, with its feeds on, in the same run; the 10,000-issue build
also reports the peak memory of the whole process tree (workers included).
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
from pathlib import Path

from generate import generate

PUBLISHER = [sys.executable, "-m", "publisher", "-q"]

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


def timed(command: list[str], cwd: Path | None = None, memory: bool = False) -> tuple[float, int]:
    """Run a command; return its wall time and (optionally) its tree's peak memory in bytes."""
    started = time.perf_counter()
    proc = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL)
    sampler = PeakMemory(proc.pid) if memory and sys.platform.startswith("linux") else None
    code = proc.wait()
    elapsed = time.perf_counter() - started
    peak = sampler.stop() if sampler else 0
    if code:
        raise SystemExit(f"{' '.join(command)} failed with status {code}")
    return elapsed, peak


def clean(root: Path) -> None:
    for name in ("site", ".site.spare", ".publisher-cache"):
        shutil.rmtree(root / name, ignore_errors=True)


def median_of(runs: int, prepare: object, command: list[str], cwd: Path | None = None) -> float:
    times = []
    for n in range(runs):
        if callable(prepare):
            prepare(n)
        times.append(timed(command, cwd)[0])
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--big", type=int, default=10000, help="issues to scale to; 0: skip")
    parser.add_argument("--no-pelican", action="store_true")
    args = parser.parse_args()

    # An installed package has its bytecode compiled (pip does it); a checkout run with
    # PYTHONDONTWRITEBYTECODE would compile every module again in each timed process.
    import publisher

    package = Path(publisher.__file__).parent
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(package)], check=True)
    work = Path(tempfile.mkdtemp(prefix="publisher-bench-"))
    try:
        root = generate(work / "news", args.issues)
        build = [*PUBLISHER, "-C", str(root), "build"]
        rows: list[tuple[str, str, str, bool]] = []

        cold = median_of(args.runs, lambda n: clean(root), build)
        timed(build)
        unchanged = median_of(args.runs, None, build)
        victim = sorted((root / "issues").iterdir())[args.issues // 2] / "index.md"
        original = victim.read_text(encoding="utf-8")

        def edit(n: int) -> None:
            victim.write_text(original + f"\nEdited sentence number {n}.\n", encoding="utf-8")

        one = median_of(args.runs, edit, build)
        slug = victim.parent.name.split("-", 3)[3]
        render = median_of(args.runs, None, [*PUBLISHER, "-C", str(root), "render", slug])
        helps = median_of(args.runs, None, [*PUBLISHER, "--help"])

        pelican = 0.0
        if not args.no_pelican:
            project = pelican_project(root, work / "pelican")
            command = [
                sys.executable,
                "-m",
                "pelican",
                "content",
                "-o",
                "output",
                "-s",
                "pelicanconf.py",
                "-q",
            ]
            pelican = median_of(
                args.runs,
                lambda n: shutil.rmtree(project / "output", ignore_errors=True),
                command,
                cwd=project,
            )

        n = f"{args.issues:,}"
        ratio = f", Pelican {pelican:.2f} s: {pelican / cold:.1f}x faster" if pelican else ""
        rows.append(
            (
                f"cold build, {n} issues",
                "<= 1.0 s and <= 1/3 of Pelican",
                f"{cold:.2f} s{ratio}",
                cold <= 1.0 and (not pelican or cold <= pelican / 3),
            )
        )
        rows.append(
            (f"rebuild, nothing changed, {n}", "<= 0.3 s", f"{unchanged:.2f} s", unchanged <= 0.3)
        )
        rows.append((f"rebuild, one issue changed, {n}", "<= 0.4 s", f"{one:.2f} s", one <= 0.4))
        if args.big:
            big = generate(work / "big", args.big)
            clean(big)
            seconds, peak = timed([*PUBLISHER, "-C", str(big), "build"], memory=True)
            rows.append(
                (
                    f"cold build, {args.big:,} issues",
                    f"<= 12 x {cold:.2f} s",
                    f"{seconds:.1f} s ({seconds / cold:.1f}x)",
                    seconds <= 12 * cold,
                )
            )
            rows.append(
                (
                    f"peak memory, {args.big:,} issues",
                    "<= 300 MB",
                    f"{peak / 1e6:.0f} MB (all processes, PSS)",
                    peak <= 300e6,
                )
            )
        rows.append(
            ("`publisher render` one issue", "<= 0.25 s", f"{render:.3f} s", render <= 0.25)
        )
        rows.append(("`publisher --help`", "<= 0.15 s", f"{helps:.3f} s", helps <= 0.15))

        print(f"\n{os.cpu_count()} cores, median of {args.runs} runs, whole processes\n")
        print("| measure | target | measured | met |")
        print("| --- | --- | --- | --- |")
        for name, target, figure, met in rows:
            print(f"| {name} | {target} | {figure} | {'yes' if met else 'no'} |")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
