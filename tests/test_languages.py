"""Every language: dates, the theme's words, quotation marks and spacing, right to left, slugs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from conftest import REPO, SETTINGS, Newsletter
from publisher.build.pipeline import build
from publisher.check import run_checks
from publisher.cli import cli
from publisher.strings import LOCALE_DIR, known_keys, languages

NNBSP, NBSP = "\u202f", "\u00a0"
BODY = """\
Le ministre a dit "nous verrons" : est-ce vrai ? Oui !

- premier point
- second point

Voir [le rapport](https://example.org/r).
"""


def settings_with(newsletter: Newsletter, language: str, extra: str = "") -> None:
    newsletter.settings(SETTINGS.replace('language = "en"', f'language = "{language}"') + extra)


def built(newsletter: Newsletter, slug: str = "first") -> tuple[str, str, str]:
    build(newsletter.root)
    folder = newsletter.root / "site" / slug
    return tuple(  # type: ignore[return-value]
        (folder / name).read_text(encoding="utf-8")
        for name in ("email.html", "email.txt", "index.html")
    )


def test_a_french_issue_is_french_everywhere(newsletter: Newsletter) -> None:
    settings_with(newsletter, "fr")
    newsletter.issue(body=BODY, title='L\'été "chaud"', summary="'Ce qu''on sait : tout.'")
    html, text, page = built(newsletter)
    for output in (html, text, page):
        assert "15 juillet 2025" in output
        assert f"«{NNBSP}nous verrons{NNBSP}»{NNBSP}: est-ce vrai{NNBSP}? Oui{NNBSP}!" in output
        assert f"L’été «{NNBSP}chaud{NNBSP}»" in output
    assert "Se désabonner" in html and "Voir dans le navigateur" in html
    assert "à la suite de votre abonnement à Test Weekly" in html
    assert f"Lire en ligne{NNBSP}: https://news.example.org/first/" in text
    assert f"Se désabonner{NNBSP}: *|UNSUB|*" in text
    assert 'lang="fr"' in html and 'lang="fr"' in page
    assert "Unsubscribe" not in html and "View online" not in text
    assert f"Ce qu’on sait{NNBSP}: tout." in html  # the summary, as the preheader
    assert "https://example.org/r" in text  # a URL keeps its colon as it is


def test_german_quotes_and_dates(newsletter: Newsletter) -> None:
    settings_with(newsletter, "de")
    newsletter.issue(body="Er sagte \"ja\" und 'nein'.\n", title='Das "neue" Jahr')
    html, text, page = built(newsletter)
    for output in (html, text, page):
        assert "„ja“ und ‚nein‘" in output and "15. Juli 2025" in output
    assert "Das „neue“ Jahr" in page and "Abbestellen" in html


def test_strings_override_and_unknown_keys_are_named(newsletter: Newsletter) -> None:
    settings_with(
        newsletter, "en", '\n[strings]\nunsubscribe = "Leave this list"\nunsubscibe = "x"\n'
    )
    newsletter.issue()
    result = CliRunner().invoke(cli, ["-C", str(newsletter.root), "build"])
    assert result.exit_code == 0, result.output
    assert (
        "newsletter.toml:18: unknown key `unsubscibe` under [strings] is ignored" in result.output
    )
    assert "known keys: also_in, archive, correction, email_address" in result.output
    html = (newsletter.root / "site" / "first" / "email.html").read_text(encoding="utf-8")
    assert ">Leave this list</a>" in html


def test_an_issues_own_language_wins(newsletter: Newsletter) -> None:
    newsletter.issue("2025-07-15-first.md", body='Il dit "oui".\n', language="fr")
    newsletter.issue("2025-07-16-second.md", title="Second", date="2025-07-16", body='"Yes".\n')
    html, text, page = built(newsletter)
    assert "15 juillet 2025" in html and f"«{NNBSP}oui{NNBSP}»" in text and 'lang="fr"' in page
    english, _, _ = built(newsletter, "second")
    assert "16 July 2025" in english and "“Yes”" in english and "Unsubscribe" in english


def test_an_unknown_language_falls_back_to_english_with_a_warning(
    newsletter: Newsletter,
) -> None:
    settings_with(newsletter, "tlh")
    newsletter.issue()
    findings = [f for f in run_checks(newsletter.root) if f.rule == "SET007"]
    assert [(f.file, f.line) for f in findings] == [("newsletter.toml", 3)]
    assert "stay in English" in findings[0].message and "[strings]" in findings[0].message
    html, text, _ = built(newsletter)
    assert "Unsubscribe" in html and "15 July 2025" in text


#: Where the first line of the Arabic paragraph ends on the right, and the paragraph's edge.
FIRST_LINE = """(() => {
  const p = [...document.querySelectorAll('p')].find(e => e.textContent.includes('يمر'));
  const range = document.createRange();
  range.selectNodeContents(p);
  const text = range.getBoundingClientRect(), box = p.getBoundingClientRect();
  return [text.right, box.right, text.left, box.left];
})()"""
#: The list's indents, and an item's direction.
LIST_ITEM = """(() => {
  const li = [...document.querySelectorAll('li')].find(e => e.textContent.includes('النقطة'));
  const list = getComputedStyle(li.parentElement);
  return [list.paddingRight, list.paddingLeft, getComputedStyle(li).direction];
})()"""


@pytest.mark.browser
def test_an_arabic_issue_reads_right_to_left(
    browser: Any, newsletter: Newsletter, http_server: tuple[str, Path]
) -> None:
    base_url, www = http_server
    newsletter.settings(
        SETTINGS.replace('language = "en"', 'language = "ar"').replace(
            'base_url = "https://news.example.org/"', f'base_url = "{base_url}"'
        )
    )
    newsletter.issue(
        title="الكابلات تحت البحر",
        body="يمر معظم الإنترنت عبر كابلات بحرية تديرها شركات مثل Google وMeta.\n\n"
        "- النقطة الأولى\n- النقطة الثانية\n\n> اقتباس قصير.\n",
    )
    build(newsletter.root, out=www / "site")
    for path in ("site/first/email.html", "site/first/"):
        page = browser.new_page(viewport={"width": 600, "height": 900})
        try:
            page.goto(base_url + path)
            assert page.evaluate("document.documentElement.dir") == "rtl"
            box = page.evaluate(FIRST_LINE)
            assert abs(box[0] - box[1]) < 2, box  # the first line starts at the right edge
            item = page.evaluate(LIST_ITEM)
            assert item[2] == "rtl" and float(item[0][:-2]) > 0 and float(item[1][:-2]) == 0, item
            quote = page.evaluate(
                "(() => { const s = getComputedStyle(document.querySelector('blockquote'));"
                " return [s.borderRightWidth, s.borderLeftWidth]; })()"
            )
            assert quote[0] != "0px" and quote[1] == "0px", quote
        finally:
            page.close()


def test_new_issues_get_ascii_slugs_and_published_ones_keep_theirs(
    newsletter: Newsletter,
) -> None:
    run = CliRunner().invoke
    result = run(cli, ["-C", str(newsletter.root), "new", "Crème brûlée", "--date", "2030-01-01"])
    assert result.exit_code == 0, result.output
    assert (newsletter.root / "issues" / "2030-01-01-creme-brulee.md").is_file()
    result = run(cli, ["-C", str(newsletter.root), "new", "東京の朝", "--date", "2030-01-02"])
    assert (newsletter.root / "issues" / "2030-01-02-東京の朝.md").is_file(), result.output
    # A published issue whose file name has accents keeps its address, and its feed id.
    newsletter.issue("2025-07-15-café-crème.md", title="Café crème")
    build(newsletter.root)
    assert (newsletter.root / "site" / "café-crème" / "index.html").is_file()
    result = run(cli, ["-C", str(newsletter.root), "build"])
    assert result.exit_code == 0 and "changes from" not in result.output


def _messages(mo: bytes) -> dict[Any, str]:
    """Return a compiled catalogue's messages and headers, but for the version of Babel that
    compiled it (a new Babel release changes that line alone)."""
    import gettext
    import io

    catalog = dict(gettext.GNUTranslations(io.BytesIO(mo))._catalog)  # type: ignore[attr-defined]
    catalog[""] = re.sub(r"(?m)^Generated-By: .*\n", "", catalog.get("", ""))
    return catalog


def test_catalogues_are_complete_compiled_and_extracted(tmp_path: Path) -> None:
    assert {"en", "fr", "de", "es", "it", "pt", "nl", "pl", "ja", "ar", "he"} <= set(languages())
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    keys = set(known_keys())
    for po in LOCALE_DIR.glob("*/LC_MESSAGES/publisher.po"):
        with po.open("rb") as handle:
            catalog = read_po(handle)
        ids = {m.id[0] if isinstance(m.id, tuple) else m.id for m in catalog if m.id}
        assert ids == keys, (po.parent.parent.name, ids ^ keys)
        assert all(m.string and all(m.string) for m in catalog if m.id), po
        import io

        compiled = io.BytesIO()
        write_mo(compiled, catalog, use_fuzzy=False)
        assert _messages(compiled.getvalue()) == _messages(po.with_suffix(".mo").read_bytes()), (
            f"{po.with_suffix('.mo')} is stale: python -m publisher.strings"
        )
    # Babel's extraction finds in the theme and the code exactly the keys the catalogues have.
    template = tmp_path / "publisher.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F",
         str(REPO / "babel.cfg"), "-o", str(template), "--omit-header", "."],
        capture_output=True, text=True, check=True, cwd=REPO,
    )  # fmt: skip
    extracted = template.read_text(encoding="utf-8")
    found = set(re.findall(r'^msgid "([a-z_]+)"', extracted, re.M))
    assert found == keys, found ^ keys


@pytest.mark.parametrize(
    ("setting", "issue_language", "archive_rtl"),
    [("ar", "", True), ("ar", "en", True), ("en", "ar", False), ("en", "", False)],
)
def test_the_archive_reads_in_the_newsletters_direction(
    newsletter: Newsletter, setting: str, issue_language: str, archive_rtl: bool
) -> None:
    """The archive and tag pages take the newsletter's direction, whether or not an issue is
    in its language; the stylesheet carries right-to-left rules when any page needs them."""
    settings_with(newsletter, setting)
    meta = {"language": issue_language} if issue_language else {}
    newsletter.issue(tags="[trade]", **meta)
    build(newsletter.root)
    site = newsletter.root / "site"
    for page in ("index.html", "tags/trade/index.html"):
        html = (site / page).read_text(encoding="utf-8")
        assert (' dir="rtl"' in html.split(">", 2)[1]) == archive_rtl, page
    style = (site / "assets" / "style.css").read_text(encoding="utf-8")
    assert ("rtl" in style) == ("ar" in (setting, issue_language))
