"""Time the image pipeline on phone photos, and weigh what each email carries.

    python benchmarks/images.py              # 20 issues, one 12-megapixel phone photo each
    python benchmarks/images.py --runs 3

Each photo is 4032×3024 as a phone stores it, with photographic noise (so it does not compress
to nothing), GPS, camera and XMP metadata; every other one is stored on its side with EXIF
orientation 6, as a phone held upright stores it. The same 20 issues without their photos are
built beside them, so the rebuild with nothing changed can be compared with a rebuild that has no
image to look at. Every figure is the median wall time of separate `publisher` processes.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from photos import phone_photo

PUBLISHER = [sys.executable, "-m", "publisher", "-q"]
SETTINGS = """\
name = "Photo Weekly"
base_url = "https://photos.example.org/"

[author]
name = "Bench Writer"
email = "bench@photos.example.org"

[unsubscribe]
service = "buttondown"
"""
BODY = """\
![A harbour at dawn, cranes against the sky](lead.jpg "The harbour at dawn. | Photo: Bench Writer")

The port opened before sunrise. {n} ships waited in the roads for a berth.

## What changed

- More containers, fewer crews.
- Longer waits at the gate.

Source: Port authority figures.
"""


def archive(root: Path, issues: int, photos: bool) -> Path:
    """Write ``issues`` issues, each with a phone photo when ``photos``."""
    (root / "issues").mkdir(parents=True)
    (root / "newsletter.toml").write_text(SETTINGS, encoding="utf-8")
    for n in range(issues):
        folder = root / "issues" / f"2025-06-{n + 1:02d}-harbour-{n}"
        folder.mkdir()
        body = BODY.format(n=n + 3) if photos else BODY.format(n=n + 3).split("\n", 2)[2]
        front = f"---\ntitle: Harbour {n}\ndate: 2025-06-{n + 1:02d}\n---\n\n"
        (folder / "index.md").write_text(front + body, encoding="utf-8")
        if photos:
            # A phone stores 4032×3024 pixels; held upright, it adds orientation 6.
            upright = (3024, 4032) if n % 2 == 0 else (4032, 3024)
            phone_photo(folder / "lead.jpg", *upright, orientation=6 if n % 2 == 0 else 1, seed=n)
    return root


def timed(command: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def cold(root: Path) -> None:
    for name in ("site", ".publisher-cache", ".site.spare", ".site.trash"):
        shutil.rmtree(root / name, ignore_errors=True)


def median(runs: int, root: Path, prepare: bool) -> float:
    times = []
    for _ in range(runs):
        if prepare:
            cold(root)
        times.append(timed([*PUBLISHER, "build"], root))
    return statistics.median(times)


def email_weights(site: Path) -> list[tuple[str, int, int]]:
    """Return each issue's (slug, email HTML bytes, bytes of the issue's images it shows)."""
    found = []
    for email in sorted(site.glob("*/email.html")):
        html = email.read_text(encoding="utf-8")
        slug = email.parent.name
        names = set(re.findall(rf'<img[^>]* src="[^"]*/{slug}/([^"/]+)"', html))
        weight = sum((email.parent / n).stat().st_size for n in names)
        found.append((slug, len(html.encode()), weight))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        photos = archive(Path(temporary) / "photos", args.issues, photos=True)
        plain = archive(Path(temporary) / "plain", args.issues, photos=False)
        sources = sorted((photos / "issues").glob("*/lead.jpg"))
        source_bytes = statistics.median(p.stat().st_size for p in sources)
        source_total = sum(p.stat().st_size for p in sources)
        results = {
            "cold build, photos": median(args.runs, photos, prepare=True),
            "cold build, no photos": median(args.runs, plain, prepare=True),
            "rebuild, nothing changed, photos": median(args.runs, photos, prepare=False),
            "rebuild, nothing changed, no photos": median(args.runs, plain, prepare=False),
        }
        weights = email_weights(photos / "site")
        published = sum(p.stat().st_size for p in (photos / "site").rglob("*.*") if p.suffix in (
            ".jpg", ".png", ".webp", ".gif"))  # fmt: skip
    print(f"{args.issues} issues, one {source_bytes / 1e6:.1f} MB phone photo each "
          f"(median), {args.runs} runs, median wall time")  # fmt: skip
    for name, seconds in results.items():
        print(f"  {name:<40} {seconds:6.2f} s")
    images = sorted(w[2] for w in weights)
    middle = statistics.median(images) / 1024
    print(f"  images per email (lead photo)            median {middle:.0f} KB, "
          f"largest {images[-1] / 1024:.0f} KB (target ≤ 250 KB)")  # fmt: skip
    html = statistics.median(w[1] for w in weights)
    print(f"  email HTML                               median {html / 1024:.0f} KB")
    print(f"  every image file published (all sizes)   {published / 1e6:.1f} MB "
          f"for {len(sources)} photos of {source_total / 1e6:.0f} MB")  # fmt: skip


if __name__ == "__main__":
    main()
