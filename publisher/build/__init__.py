"""``publisher build``: the executor of the site plan (``pipeline`` reads top to bottom)."""

from publisher.build.output import LOCK_FILE
from publisher.build.pipeline import BuildResult, CheckFailed, build

__all__ = ["LOCK_FILE", "BuildResult", "CheckFailed", "build"]
