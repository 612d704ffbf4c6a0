"""``publisher-push.json``: the id of each issue's draft in each service, committed with the
newsletter so that a push from another machine updates the same draft."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from publisher.errors import PublisherError

RECORD_FILE = "publisher-push.json"


def recorded(root: Path, service: str, slug: str) -> int | str | None:
    """Return the id of the draft of ``slug`` in ``service``, if one was pushed."""
    found = _read(root / RECORD_FILE).get(service, {}).get(slug)
    return found if isinstance(found, int | str) and not isinstance(found, bool) else None


def record(root: Path, service: str, slug: str, remote_id: int | str) -> Path:
    """Write the id of the draft of ``slug`` in ``service`` (whole, or not at all)."""
    path = root / RECORD_FILE
    data = _read(path)
    data.setdefault(service, {})[slug] = remote_id
    text = json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    fd, temporary = tempfile.mkstemp(dir=root, prefix=f".{RECORD_FILE}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise PublisherError.at(
            f"the draft was pushed but its id ({remote_id}) could not be written: {exc.strerror}",
            path,
            hint=f'add "{slug}": {json.dumps(remote_id)} under "{service}" in it by hand',
        ) from exc
    return path


def _read(path: Path) -> dict[str, dict[str, Any]]:
    """Return the record (empty when there is none); a damaged one is an error, never replaced."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise PublisherError.at(
            f"cannot read the record of pushed drafts: {exc}", path, hint="save it as UTF-8 JSON"
        ) from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PublisherError.at(
            f"the record of pushed drafts is not valid JSON: {exc.msg}",
            path,
            exc.lineno,
            hint="mend it (e.g. resolve a merge conflict); each service holds slug: id pairs",
        ) from exc
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise PublisherError.at(
            "the record of pushed drafts must hold a table of slug: id pairs per service",
            path,
            hint='e.g. {"listmonk": {"grain-corridor": 12}}',
        )
    return data
