"""Where a cold build's CPU goes, beside Pelican: how much of it is the Markdown parse.

A cold build of N issues keeps every core busy, so its time is about its CPU time divided by the
cores. This runs `publisher build` cold (no `.publisher-cache/`, into a folder never built),
sums the CPU of the whole process tree (the rendering processes included) and, in each process,
the CPU spent in markdown-it-py's parse. It prints what the build would take if the parse cost
nothing (the rest of the CPU over the cores), next to Pelican's time for the same Markdown and
a quarter of it, all in the same run.

    pip install -e '.[bench]'
    python benchmarks/cold_cpu.py --issues 1000 --runs 5
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from generate import generate
from run import pelican_command, pelican_project, settle, timed

#: Runs a build with markdown-it-py's parse timed in every process (forked ones too): each
#: keeps the CPU it spent parsing written over the start of a file named after it, in the
#: folder given (one system call a parse: opening and closing a file each time would add a
#: hundredth to the CPU measured).
TIMED_BUILD = """\
import os, sys, time
from publisher.render import issue as render
from publisher.cli import main

real, spent, owner, handle, folder = render.parse, 0.0, os.getpid(), None, sys.argv[1]

def parse(*args, **kwargs):
    global spent, owner, handle
    if os.getpid() != owner:  # a forked process counts its own parsing only
        spent, owner, handle = 0.0, os.getpid(), None
    started = time.process_time()
    try:
        return real(*args, **kwargs)
    finally:
        spent += time.process_time() - started
        if handle is None:
            handle = os.open(os.path.join(folder, str(owner)), os.O_WRONLY | os.O_CREAT)
        os.pwrite(handle, repr(spent).ljust(32).encode(), 0)

render.parse = parse
sys.argv = ["publisher", "-q", "build", "--out", sys.argv[2]]
main()
"""


def cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cold_build(root: Path, out: Path, spent: Path) -> tuple[float, float, float]:
    """Build ``root`` cold into ``out``; return its wall time, CPU time and parse CPU time."""
    shutil.rmtree(root / ".publisher-cache", ignore_errors=True)
    spent.mkdir()
    before = cpu_of_children()
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", TIMED_BUILD, str(spent), str(out)],
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    wall = time.perf_counter() - started
    if done.returncode:
        sys.exit(f"the build failed:\n{done.stderr}")
    cpu = cpu_of_children() - before
    parse = sum(float(f.read_text()) for f in spent.iterdir())
    return wall, cpu, parse


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-pelican", action="store_true")
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        root = generate(work / "news", args.issues)
        project = None if args.no_pelican else pelican_project(root, work / "pelican")
        rows: list[tuple[float, float, float]] = []
        pelican: list[float] = []
        for i in range(args.runs):
            settle()
            rows.append(cold_build(root, work / f"site-{i}", work / f"parse-{i}"))
            if project is not None:
                settle()
                pelican.append(timed(pelican_command(str(work / f"pelican-{i}")), project)[0])
    wall, cpu, parse = (statistics.median(column) for column in zip(*rows, strict=True))
    print(f"{cores} cores; medians of {args.runs} cold builds of {args.issues} issues\n")
    print("| measure | seconds |")
    print("| --- | --- |")
    print(f"| wall | {wall:.2f} |")
    print(f"| CPU, all processes | {cpu:.2f} ({cpu / wall:.2f} cores busy on average) |")
    print(f"| of it, markdown-it-py's parse | {parse:.2f} ({100 * parse / cpu:.0f}%) |")
    print(f"| the rest of the CPU over {cores} cores (parse free) | {(cpu - parse) / cores:.2f} |")
    if pelican:
        median = statistics.median(pelican)
        print(f"| Pelican | {median:.2f} (a quarter: {median / 4:.2f}) |")
        print(f"| wall / Pelican | {wall / median:.2f} |")
        print(f"| (CPU without the parse) / {cores} cores / Pelican | ", end="")
        print(f"{(cpu - parse) / cores / median:.2f} |")


if __name__ == "__main__":
    main()
