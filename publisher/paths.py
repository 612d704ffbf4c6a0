"""The names of a newsletter folder's own files, shared by the settings and the image shelf."""

from __future__ import annotations

SETTINGS_FILE = "newsletter.toml"
#: The folder of the build cache (and the image shelf) inside a newsletter folder.
CACHE_DIR = ".publisher-cache"
