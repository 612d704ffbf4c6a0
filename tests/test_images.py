"""The image pipeline: every published image upright, in sRGB, without metadata, at the sizes
each output shows it, named by its content; bad images are errors at their line."""

from __future__ import annotations

import hashlib
import re
import struct
import zlib
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from click.testing import CliRunner
from photos import XMP, linear_profile, long_animation, phone_photo
from PIL import Image

from conftest import Newsletter
from publisher.build.pipeline import build
from publisher.check import run_checks
from publisher.cli import cli

BASE = "https://news.example.org/"
VARIANT = re.compile(r"-(\d+w|card)\.[0-9a-f]{10}\.(jpg|png|gif|webp)$")


def photo_issue(newsletter: Newsletter, body: str, slug: str = "photo", **meta: str) -> Path:
    """Write a folder issue ``photo`` with ``body``; return its folder."""
    path = newsletter.issue(
        f"2025-07-15-{slug}/index.md", title="Photo", date="2025-07-15", body=body, **meta
    )
    return path.parent


def published(site: Path, slug: str = "photo") -> list[Path]:
    return sorted(p for p in (site / slug).iterdir() if VARIANT.search(p.name))


def email_images(site: Path, slug: str = "photo") -> list[Any]:
    tree = lxml.html.parse(str(site / slug / "email.html")).getroot()
    return [img for img in tree.xpath("//img") if "/" + slug + "/" in img.get("src")]


def is_red(pixel: tuple[int, ...]) -> bool:
    return pixel[0] > 150 and pixel[1] < 100 and pixel[2] < 100


def test_a_phone_photo_comes_out_upright_and_without_metadata(newsletter: Newsletter) -> None:
    folder = photo_issue(newsletter, '![A harbour crane at dawn](lead.jpg "Cranes | Photo: Me")\n')
    # Stored landscape (1600×1200) with orientation 6: upright it is a 1200×1600 portrait.
    phone_photo(folder / "lead.jpg", 1200, 1600, orientation=6)
    assert Image.open(folder / "lead.jpg").size == (1600, 1200)
    build(newsletter.root)
    files = published(newsletter.root / "site")
    assert {VARIANT.search(p.name).group(1) for p in files} == {"600w", "1200w", "card"}  # type: ignore[union-attr]
    for path in files:
        with Image.open(path) as image:
            image.load()
            assert not image.getexif(), f"{path.name} keeps EXIF"
            for key in ("exif", "xmp", "XML:com.adobe.xmp", "icc_profile", "comment"):
                assert key not in image.info, f"{path.name} keeps {key}"
            assert b"Phonemaker" not in path.read_bytes() and XMP[:20] not in path.read_bytes()
            if "-card." in path.name:
                assert image.size == (1200, 630)
                continue
            assert image.height > image.width, f"{path.name} is on its side"
            assert is_red(image.convert("RGB").getpixel((image.width // 2, 2))), path.name
    assert not (newsletter.root / "site" / "photo" / "lead.jpg").exists()


def test_colours_are_converted_to_srgb_and_the_profile_dropped(newsletter: Newsletter) -> None:
    folder = photo_issue(newsletter, "![A grey card](grey.jpg)\n")
    # Mid grey in a linear colour space is a light grey in sRGB.
    Image.new("RGB", (800, 600), (128, 128, 128)).save(
        folder / "grey.jpg", quality=95, icc_profile=linear_profile()
    )
    build(newsletter.root)
    for path in published(newsletter.root / "site"):
        with Image.open(path) as image:
            assert "icc_profile" not in image.info
            red, green, blue = image.convert("RGB").getpixel((400, 20))
            assert 184 <= red <= 192 and abs(red - green) <= 2 and abs(red - blue) <= 2, path.name


def test_sizes_follow_the_column_and_never_grow(newsletter: Newsletter) -> None:
    folder = photo_issue(
        newsletter, "![A big photo](big.jpg)\n\nText.\n\n![A small drawing](small.png)\n"
    )
    phone_photo(folder / "big.jpg", 4000, 3000, orientation=1)
    Image.new("RGB", (300, 200), "teal").save(folder / "small.png")
    build(newsletter.root)
    site = newsletter.root / "site"
    lead, small = email_images(site)
    # The lead photo: shown 600 px wide, its file twice that; no fixed height in its style.
    assert re.search(r"/big-1200w\.[0-9a-f]{10}\.jpg$", lead.get("src"))
    assert (lead.get("width"), lead.get("height")) == ("600", "450")
    assert "height:auto" in lead.get("style") and "px;height" not in lead.get("style")
    # A 300 px drawing is shown at its size and never enlarged.
    assert re.search(r"/small-300w\.[0-9a-f]{10}\.png$", small.get("src"))
    assert (small.get("width"), small.get("height")) == ("300", "200")
    for path in published(site):
        with Image.open(path) as image:
            source = 4000 if path.name.startswith("big") else 300
            assert image.width <= source and image.width <= 1800
    page = lxml.html.parse(str(site / "photo" / "index.html")).getroot()
    first, second = page.xpath("//figure//img")
    assert [w.split()[1] for w in first.get("srcset").split(", ")] == ["600w", "1200w", "1800w"]
    assert first.get("loading") is None and first.get("fetchpriority") == "high"
    assert second.get("loading") == "lazy" and second.get("decoding") == "async"
    assert [w.split()[1] for w in second.get("srcset").split(", ")] == ["300w"]
    assert page.xpath("//picture/source[@type='image/webp']/@srcset")


def test_an_animated_gif_keeps_its_frames(newsletter: Newsletter) -> None:
    folder = photo_issue(newsletter, "![A spinning globe](globe.gif)\n")
    frames = [Image.new("RGB", (1400, 700), (n * 80, 40, 200 - n * 60)) for n in range(3)]
    frames[0].save(
        folder / "globe.gif", save_all=True, append_images=frames[1:], duration=120, loop=0,
        comment=b"made on my laptop",
    )  # fmt: skip
    build(newsletter.root)
    gifs = [p for p in published(newsletter.root / "site") if p.suffix == ".gif"]
    assert gifs and not [p for p in published(newsletter.root / "site") if p.suffix == ".webp"]
    for path in gifs:
        with Image.open(path) as image:
            assert image.n_frames == 3 and image.info.get("duration") == 120
            assert "comment" not in image.info


#: The format each published file's name says it is in (Pillow's names).
FORMAT_OF = {".jpg": "JPEG", ".png": "PNG", ".gif": "GIF", ".webp": "WEBP"}


def test_every_variant_is_in_its_names_format_and_an_animations_card_is_a_still(
    newsletter: Newsletter,
) -> None:
    folder = photo_issue(
        newsletter,
        "![A spinning globe](globe.gif)\n\n![A crane](crane.jpg)\n\n![A chart](chart.png)\n",
    )
    colours = [(0, 40, 200), (200, 160, 20), (30, 180, 60)]
    frames = [Image.new("RGB", (1400, 700), c) for c in colours]
    frames[0].save(folder / "globe.gif", save_all=True, append_images=frames[1:], duration=80)
    phone_photo(folder / "crane.jpg", 900, 600, orientation=1)
    Image.new("RGB", (300, 200), "teal").save(folder / "chart.png")
    # A transparent animation leads a second issue: its card is a PNG of its first frame.
    ghost = photo_issue(newsletter, "![A ghost](ghost.gif)\n", slug="ghost")
    clear = [Image.new("RGBA", (800, 500), (90, 90, 90, 0)) for _ in range(3)]
    for n, frame in enumerate(clear):
        frame.paste((250, 250, 250, 255), (100 * n, 100, 100 * n + 200, 300))
    clear[0].save(ghost / "ghost.gif", save_all=True, append_images=clear[1:], disposal=2)
    build(newsletter.root)
    site = newsletter.root / "site"
    files = published(site) + published(site, "ghost")
    assert {p.suffix for p in files} == set(FORMAT_OF)
    for path in files:
        with Image.open(path) as image:
            assert image.format == FORMAT_OF[path.suffix], path.name
            assert not image.getexif() and "comment" not in image.info, path.name
    (card,) = site.glob("photo/globe-card.*.jpg")
    with Image.open(card) as image:
        assert image.size == (1200, 630) and getattr(image, "n_frames", 1) == 1
        red, green, blue = image.convert("RGB").getpixel((600, 315))  # the first frame's blue
        assert red < 20 and 30 < green < 50 and blue > 185
    (card,) = site.glob("ghost/ghost-card.*.png")
    with Image.open(card) as image:
        assert image.convert("RGBA").getpixel((5, 5))[3] == 0  # still transparent


def test_an_animation_over_the_pixel_budget_is_an_error_at_its_line(
    newsletter: Newsletter,
) -> None:
    folder = photo_issue(newsletter, "Intro.\n\n![A picture](globe.gif)\n")
    Image.new("RGB", (300, 200), "teal").save(folder / "globe.gif")
    root = ["-C", str(newsletter.root)]
    assert CliRunner().invoke(cli, [*root, "build"]).exit_code == 0
    site = newsletter.root / "site"
    before = {p: p.read_bytes() for p in site.rglob("*") if p.is_file()}
    # 1,000 megapixels in 17 KB: refused from its frame count, before a frame is decoded.
    long_animation(folder / "globe.gif", 2000, 2000, 250)
    file = "issues/2025-07-15-photo/index.md"
    for command in ("check", "build"):
        result = CliRunner().invoke(cli, [*root, command])
        assert result.exit_code == 1 and "Traceback" not in result.output, result.output
        assert f"{file}:7:14: error IMG007 'globe.gif' cannot be published: it is an " in (
            result.output
        )
        assert "250 frames of 2000×2000 px, 1,000 megapixels in all" in result.output
        assert "fix: shorten the animation or make it smaller" in result.output
    assert {p: p.read_bytes() for p in site.rglob("*") if p.is_file()} == before


def test_a_link_to_an_image_file_leads_to_a_clean_copy(newsletter: Newsletter) -> None:
    folder = photo_issue(newsletter, "See [the full photo](raw.jpg).\n")
    phone_photo(folder / "raw.jpg", 900, 600, orientation=1)
    build(newsletter.root)
    site = newsletter.root / "site" / "photo"
    assert not (site / "raw.jpg").exists()
    (copy,) = site.glob("raw-900w.*.jpg")
    assert f'href="{copy.name}"' in (site / "index.html").read_text(encoding="utf-8")
    assert not Image.open(copy).getexif()


def test_the_social_card_crops_around_the_focus(newsletter: Newsletter) -> None:
    folder = photo_issue(newsletter, "Text.\n", image="tall.jpg", image_focus="0.5, 0.0")
    phone_photo(folder / "tall.jpg", 1200, 2400, orientation=1)  # red band across the top
    build(newsletter.root)
    site = newsletter.root / "site" / "photo"
    page = lxml.html.parse(str(site / "index.html")).getroot()
    card = page.xpath("//meta[@property='og:image']/@content")[0]
    assert card.startswith(BASE + "photo/tall-card.")
    with Image.open(site / card.rsplit("/", 1)[1]) as image:
        assert image.size == (1200, 630)
        assert is_red(image.convert("RGB").getpixel((600, 5)))  # the top, not the middle
    feed = (newsletter.root / "site" / "feed.json").read_text(encoding="utf-8")
    assert re.search(
        r'"image": "https://news\.example\.org/photo/tall-1200w\.[0-9a-f]{10}\.jpg"', feed
    )


def test_variants_are_cached_deterministic_and_renamed_when_the_photo_changes(
    newsletter: Newsletter, tmp_path: Path
) -> None:
    folder = photo_issue(newsletter, "![A crane](lead.jpg)\n")
    phone_photo(folder / "lead.jpg", 2000, 1500, orientation=1)
    build(newsletter.root)
    site = newsletter.root / "site"
    first = {p.name: p.read_bytes() for p in published(site)}
    shelf = newsletter.root / ".publisher-cache" / "images"
    made = {p.name: p.stat().st_mtime_ns for p in shelf.iterdir()}
    build(newsletter.root, out=tmp_path / "again", cache=False)
    assert {p.name: p.read_bytes() for p in published(tmp_path / "again")} == first
    (site / "photo" / "index.html").unlink()  # something to rebuild; the images stay made
    build(newsletter.root)
    assert {p.name: p.stat().st_mtime_ns for p in shelf.iterdir()} == made
    phone_photo(folder / "lead.jpg", 2000, 1500, orientation=1, seed=2)
    build(newsletter.root)
    second = {p.name for p in published(site)}
    assert second and not second & set(first)  # every name changed with the photo
    assert len(list(shelf.iterdir())) == len(second)  # the old ones are let go


def test_heic_and_avif_photos_are_published_as_jpeg(newsletter: Newsletter) -> None:
    pytest.importorskip("pillow_heif")
    folder = photo_issue(newsletter, "![A heic photo](a.heic)\n\n![An avif photo](b.avif)\n")
    phone_photo(folder / "a.heic", 1200, 900, orientation=6, fmt="HEIF")
    phone_photo(folder / "b.avif", 1200, 900, orientation=1, fmt="AVIF")
    build(newsletter.root)
    names = [p.name for p in published(newsletter.root / "site")]
    assert any(n.startswith("a-1200w.") and n.endswith(".jpg") for n in names), names
    assert any(n.startswith("b-1200w.") and n.endswith(".jpg") for n in names), names
    (upright,) = (newsletter.root / "site" / "photo").glob("a-1200w.*.jpg")
    assert Image.open(upright).size == (1200, 900)


def _bomb() -> bytes:
    """A valid PNG header for a 20,000 × 20,000 image: 400 megapixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 20000, 20000, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64))


def _photo_bytes() -> bytes:
    import io

    out = io.BytesIO()
    Image.new("RGB", (400, 300), "navy").save(out, "JPEG")
    return out.getvalue()


BAD_IMAGES = {
    "truncated": (lambda: _photo_bytes()[:400], "damaged or cut short"),
    "corrupt": (lambda: b"\xff\xd8\xff\xe0" + hashlib.sha512(b"x").digest() * 20, "damaged"),
    "empty": (lambda: b"", "empty file (0 bytes)"),
    "not an image": (lambda: b"%PDF-1.7\n1 0 obj\n", "not an image that publisher can read"),
    "svg": (
        lambda: b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>',
        "SVG drawing, and email clients do not show SVG",
    ),
    "bomb": (_bomb, "megapixels (a decompression bomb"),
}


@pytest.mark.parametrize("case", BAD_IMAGES)
def test_a_bad_image_is_an_error_at_its_line(newsletter: Newsletter, case: str) -> None:
    make, message = BAD_IMAGES[case]
    folder = photo_issue(newsletter, "Intro.\n\n![A picture](pic.png)\n")
    (folder / "pic.png").write_bytes(make())
    file = "issues/2025-07-15-photo/index.md"
    findings = [f for f in run_checks(newsletter.root) if f.rule == "IMG007"]
    assert [(f.file, f.line, f.column) for f in findings] == [(file, 7, 14)]
    assert message in findings[0].message and "fix:" in findings[0].message
    result = CliRunner().invoke(cli, ["-C", str(newsletter.root), "build"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"{file}:7:14: error IMG007" in result.output
    assert not (newsletter.root / "site").exists()


def test_check_weighs_the_email_with_its_images(newsletter: Newsletter) -> None:
    folder = photo_issue(newsletter, "".join(f"![Photo {n}](p{n}.jpg)\n\n" for n in range(14)))
    for n in range(14):  # about 80 KB each at the email's size
        phone_photo(folder / f"p{n}.jpg", 1600, 1200, orientation=1, seed=n)
    findings = {f.rule: f for f in run_checks(newsletter.root)}
    assert "IMG008" in findings, sorted(findings)
    assert "with its images" in findings["IMG008"].message


@pytest.mark.browser
def test_the_lead_photo_keeps_its_shape_at_every_width(
    browser: Any, newsletter: Newsletter, http_server: tuple[str, Path]
) -> None:
    base_url, www = http_server
    newsletter.settings(f'name = "Photo Weekly"\nbase_url = "{base_url}"\n')
    folder = photo_issue(newsletter, '![A harbour crane](lead.jpg "Cranes | Photo: Me")\n\nText.\n')
    phone_photo(folder / "lead.jpg", 2400, 1600, orientation=1)  # 3:2
    build(newsletter.root, out=www / "site")
    url = f"{base_url}site/photo/email.html"
    for styles in ("kept", "removed"):
        for width in (320, 480, 560, 600, 800):
            page = browser.new_page(viewport={"width": width, "height": 900})
            try:
                page.goto(url)
                if styles == "removed":  # as Gmail's apps with other accounts show it
                    page.evaluate("document.querySelectorAll('style').forEach(s => s.remove())")
                page.wait_for_function("document.images[0].complete")
                w, h = page.evaluate(
                    "(() => { const r = document.querySelector('img[src*=\"/lead-\"]')"
                    ".getBoundingClientRect(); return [r.width, r.height]; })()"
                )
                assert w > 0 and abs(w / h - 1.5) / 1.5 < 0.01, (styles, width, w, h)
            finally:
                page.close()


def test_the_front_matter_image_and_the_logo_go_through_the_same_checks(
    newsletter: Newsletter,
) -> None:
    photo_issue(newsletter, "Text.\n", image="missing.jpg")
    findings = [f for f in run_checks(newsletter.root) if f.rule == "IMG003"]
    assert [(f.file, f.line) for f in findings] == [("issues/2025-07-15-photo/index.md", 4)]
    (newsletter.root / "logo.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    newsletter.settings('name = "N"\nbase_url = "https://n.example/"\nlogo = "logo.svg"\n')
    result = CliRunner().invoke(cli, ["-C", str(newsletter.root), "build"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "newsletter.toml:3: setting `logo`: 'logo.svg' cannot be the logo: it is an SVG" in (
        result.output
    )
    assert "export it as a PNG" in result.output


@pytest.mark.parametrize("orientation", [1, 6])
def test_a_photo_is_decoded_at_a_scale_that_covers_its_widest_variant(
    tmp_path: Path, orientation: int
) -> None:
    from publisher.render.images import read, web_variants
    from publisher.render.shelf import Shelf

    source = phone_photo(tmp_path / "p.jpg", 3024, 4032, orientation=orientation)
    picture = read(source, "p.jpg")
    assert (picture.width, picture.height) == (3024, 4032)
    widest = web_variants(picture)[-1]
    assert widest.width == 1800
    Shelf(tmp_path / "shelf").make(source, [widest])
    with Image.open(tmp_path / "shelf" / f"{widest.key}.jpg") as made:
        assert made.size == (1800, 2400)
    # Made from pixels at least as large: never enlarged from the JPEG's reduced decode.
    from publisher.render import shelf

    with Image.open(source) as image:
        assert shelf._upright(image, 1800, picture).width >= 1800
