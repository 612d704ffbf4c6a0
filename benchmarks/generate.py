"""Write a synthetic newsletter archive of N issues shaped like real ones, deterministically.

Each issue: front matter, a lead image with caption and credit, 3 to 5 `##` sections with
paragraphs, bullet lists, links, a source line and a quote; about 800 words.

    python benchmarks/generate.py OUT_DIR --issues 1000
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
from pathlib import Path

WORDS = [
    "the",
    "a",
    "of",
    "to",
    "and",
    "in",
    "that",
    "is",
    "for",
    "on",
    "with",
    "as",
    "by",
    "at",
    "from",
    "this",
    "it",
    "be",
    "are",
    "was",
    "were",
    "has",
    "have",
    "trade",
    "route",
    "port",
    "grain",
    "energy",
    "border",
    "treaty",
    "minister",
    "election",
    "coalition",
    "tariff",
    "pipeline",
    "shipping",
    "currency",
    "inflation",
    "harvest",
    "drought",
    "summit",
    "alliance",
    "sanctions",
    "corridor",
    "reserve",
    "market",
    "policy",
    "region",
    "capital",
    "rival",
    "strait",
    "convoy",
    "council",
    "ceasefire",
    "budget",
    "supply",
    "chain",
    "analysts",
    "officials",
    "farmers",
    "exporters",
    "governments",
    "investors",
    "neighbours",
    "diplomats",
    "voters",
    "quietly",
    "sharply",
    "slowly",
    "openly",
    "reluctantly",
    "suddenly",
    "steadily",
    "largely",
    "mostly",
    "nearly",
]
PLACES = [
    "Lagos",
    "Jakarta",
    "Lima",
    "Tbilisi",
    "Dakar",
    "Manila",
    "Quito",
    "Almaty",
    "Accra",
    "Hanoi",
    "Tunis",
    "Oslo",
]
TAGS = [
    "energy",
    "trade",
    "food",
    "water",
    "elections",
    "security",
    "climate",
    "money",
    "health",
    "migration",
]

SETTINGS = """\
name = "Benchmark Weekly"
description = "A synthetic archive for benchmarks."
base_url = "https://bench.example.org/"
language = "en"
timezone = "UTC"

[author]
name = "Bench Writer"
email = "bench@example.org"

[footer]
address = "1 Example Street, Exampletown"

[unsubscribe]
service = "buttondown"
"""


def sentence(rng: random.Random, length: int) -> str:
    words = [rng.choice(WORDS) for _ in range(length)]
    words[rng.randrange(length)] = rng.choice(PLACES)
    return " ".join(words).capitalize() + "."


def paragraph(rng: random.Random, sentences: int) -> str:
    return " ".join(sentence(rng, rng.randint(12, 22)) for _ in range(sentences))


def issue_text(n: int, day: dt.date, rng: random.Random) -> str:
    title = f"{rng.choice(PLACES)} and the {rng.choice(WORDS)} {rng.choice(WORDS)}, part {n}"
    tags = sorted(rng.sample(TAGS, 2))
    parts = [
        "---",
        f'title: "{title.capitalize()}"',
        f"subtitle: {sentence(rng, 14)}",
        f"date: {day.isoformat()}",
        f"tags: [{', '.join(tags)}]",
        "---",
        "",
        f"![A harbour at dawn in {rng.choice(PLACES)}]"
        f'(lead.png "{sentence(rng, 8)} | Photo: Bench Agency")',
        "",
        paragraph(rng, 4),
        "",
    ]
    for s in range(rng.randint(3, 5)):
        parts += [f"## {sentence(rng, 5)[:-1]}", "", paragraph(rng, 4), ""]
        parts += [f"- **{rng.choice(PLACES)}**: {sentence(rng, 14)}" for _ in range(3)]
        parts += [
            "",
            f"See [the report](https://data.example.org/{n}/{s}) for {sentence(rng, 8)}",
            "",
        ]
        if s == 1:
            parts += [f"> {sentence(rng, 16)}", ""]
    parts += [
        f"Sources: [Example Data](https://data.example.org/{n}); {sentence(rng, 6)}",
        "",
    ]
    return "\n".join(parts)


def generate(out: Path, issues: int, seed: int = 7) -> Path:
    """Write ``issues`` issues (and settings) into ``out``; return it."""
    from PIL import Image

    rng = random.Random(seed)
    if out.exists():
        shutil.rmtree(out)
    (out / "issues").mkdir(parents=True)
    (out / "newsletter.toml").write_text(SETTINGS, encoding="utf-8")
    lead = out / "lead.png"
    Image.new("RGB", (1200, 675), (30, 60, 110)).save(lead, optimize=True)
    start = dt.date(2025, 1, 1) - dt.timedelta(days=issues)  # one a day, all in the past
    for n in range(issues):
        day = start + dt.timedelta(days=n)
        folder = out / "issues" / f"{day.isoformat()}-issue-{n:05d}"
        folder.mkdir()
        (folder / "index.md").write_text(issue_text(n, day, rng), encoding="utf-8")
        shutil.copyfile(lead, folder / "lead.png")
    lead.unlink()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--issues", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    generate(args.out, args.issues, args.seed)
    print(f"wrote {args.issues} issues to {args.out}")


if __name__ == "__main__":
    main()
