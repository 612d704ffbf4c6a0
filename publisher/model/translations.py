"""An archive in more than one language, and issues that translate one another.

The languages of a site are those of its published issues (``folder_name`` of each tag); only
when there are two or more does each get its own archive and feeds. ``translation_of:`` in an
issue's front matter names the issue it translates (its slug or its file name): the original
and its translations form a group, at most one issue a language, each page linking the others.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field

from publisher.errors import Problem
from publisher.language import folder_name
from publisher.model.issue import Issue

#: The kinds of problem a ``translation_of:`` can have (``check`` gives each its rule).
MISSING, SAME_LANGUAGE, CHAIN = "missing", "same language", "chain"
KEY = "translation_of"


def language_folders(issues: Sequence[Issue]) -> list[str]:
    """Return the folders of the languages of ``issues`` when there are two or more, else
    none: a site in one language has no language folders."""
    folders = sorted({folder_name(issue.language) for issue in issues})
    return folders if len(folders) > 1 else []


@dataclass
class Translations:
    """The groups of translated issues, and the problems of the ``translation_of:`` keys."""

    #: Every member of a group by its slug: the group, the original first, then the
    #: translations by language.
    groups: dict[str, tuple[Issue, ...]] = field(default_factory=dict)
    #: (kind, problem), each at its ``translation_of:`` line.
    problems: list[tuple[str, Problem]] = field(default_factory=list)

    def of(self, issue: Issue) -> tuple[Issue, ...]:
        """Return the group of ``issue`` (the original first), or nothing."""
        return self.groups.get(issue.slug, ())


def _names(issue: Issue) -> set[str]:
    """Return what may name ``issue`` in ``translation_of:``: its slug, its file name (with and
    without ``.md``) or its folder's."""
    source = issue.source
    named = source.parent if source.name == "index.md" else source
    return {issue.slug, named.name, named.name.removesuffix(".md"), named.name + "/"}


def find_translations(issues: Sequence[Issue]) -> Translations:
    """Group ``issues`` by the originals their ``translation_of:`` names; report a name that
    is no issue of ``issues``, a translation of a translation, and two issues of one group in
    one language (the later one, by date then file, at its line)."""
    found = Translations()
    by_name: dict[str, Issue] = {}
    for issue in sorted(issues, key=lambda i: (i.date, str(i.source))):
        for name in _names(issue):
            by_name.setdefault(name, issue)
    members: dict[str, list[Issue]] = {}
    for issue in sorted(issues, key=lambda i: (i.date, str(i.source))):
        if not issue.translation_of:
            continue
        original = by_name.get(issue.translation_of)
        problem = _problem(issue, original, [i.slug for i in issues])
        if problem is not None:
            found.problems.append(problem)
            continue
        assert original is not None
        group = members.setdefault(original.slug, [original])
        clash = next(
            (m for m in group if folder_name(m.language) == folder_name(issue.language)), None
        )
        if clash is not None:
            found.problems.append((SAME_LANGUAGE, _same_language(issue, clash, original)))
            continue
        group.append(issue)
    for group in members.values():
        if len(group) < 2:
            continue
        ordered = (group[0], *sorted(group[1:], key=lambda i: folder_name(i.language)))
        for member in ordered:
            found.groups[member.slug] = ordered
    return found


def _problem(issue: Issue, original: Issue | None, slugs: list[str]) -> tuple[str, Problem] | None:
    """Return the problem of ``issue``'s ``translation_of:`` naming ``original``, if any."""
    line = issue.lines.get(KEY, 1)
    name = issue.translation_of
    if original is None or original is issue:
        close = difflib.get_close_matches(name, [s for s in slugs if s != issue.slug], n=1)
        hint = f"did you mean `{KEY}: {close[0]}`?" if close else "name the original's slug"
        what = "the issue itself" if original is issue else "no issue"
        return MISSING, Problem(f"`{KEY}: {name}` names {what}", issue.source, line, hint)
    if original.translation_of:
        return CHAIN, Problem(
            f"`{KEY}: {name}` names a translation (of {original.translation_of!r}), not an "
            "original",
            issue.source,
            line,
            f"name the original: `{KEY}: {original.translation_of}`",
        )
    return None


def _same_language(issue: Issue, clash: Issue, original: Issue) -> Problem:
    """Return the problem of ``issue``, a second version of ``original`` in ``clash``'s
    language."""
    which = "the original" if clash is original else "a translation of it already"
    return Problem(
        f"this translation of {original.slug!r} is in {issue.language!r}, as {clash.slug!r} "
        f"({clash.source.name}) is, {which}",
        issue.source,
        issue.lines.get(KEY, 1),
        "set this issue's `language:` to the language it is written in, or remove its "
        f"`{KEY}:` if it is no translation",
    )
