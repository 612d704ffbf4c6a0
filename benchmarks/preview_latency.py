"""Save-to-updated-page latency of `publisher preview` in a folder of N issues.

Starts the real preview server, opens an issue in Chromium (Playwright, /usr/bin/chromium),
saves the issue file 20 times with a new word, and times each save until the new word shows in
the email frame. Prints the median and the spread; the target is 300 ms on a 2-core machine.

    python benchmarks/preview_latency.py --issues 1000 --saves 20
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from generate import generate

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def measure(issues: int, saves: int, chromium: str) -> list[float]:
    from playwright.sync_api import sync_playwright

    from publisher.preview.server import start

    with tempfile.TemporaryDirectory() as tmp:
        root = generate(Path(tmp) / "news", issues)
        folder = sorted((root / "issues").iterdir())[issues // 2]
        path = folder / "index.md"
        original = path.read_text(encoding="utf-8")
        server = start(root, "127.0.0.1", 0)
        time.sleep(0.5)
        timings = []
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1200, "height": 900})
                page.goto(f"{server.url}issue/{folder.name}/")
                page.frame_locator("iframe.email").locator("body").wait_for()
                for n in range(saves):
                    word = f"Marker{n:03d}word"
                    text = original.replace("## ", f"{word} here.\n\n## ", 1)
                    started = time.perf_counter()
                    path.write_text(text, encoding="utf-8")
                    page.frame_locator("iframe.email").get_by_text(word).wait_for(timeout=5000)
                    timings.append(time.perf_counter() - started)
                    time.sleep(0.2)
                browser.close()
        finally:
            server.shutdown()
            server.server_close()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=1000)
    parser.add_argument("--saves", type=int, default=20)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    timings = [t * 1000 for t in measure(args.issues, args.saves, args.chromium)]
    median = statistics.median(timings)
    print(f"preview save-to-page latency, {args.issues} issues, {args.saves} saves")
    print(f"  median {median:.0f} ms   min {min(timings):.0f} ms   max {max(timings):.0f} ms")
    print(f"  target <= 300 ms: {'met' if median <= 300 else 'NOT met'}")


if __name__ == "__main__":
    main()
