"""The newsletter's settings (``newsletter.toml``): one declared schema, validated all at once.

``options`` holds the kinds of value, ``schema`` declares every setting once, ``load`` reads and
checks a file, ``write`` writes the documented settings file and the reference, ``advice``
warns about settings not ready to publish.
"""

from __future__ import annotations

from publisher.config.addresses import (
    address_problem,
    ascii_address,
    ascii_url,
    is_placeholder_host,
)
from publisher.config.advice import (
    no_header_problem,
    placeholder_problem,
    setting_problem,
    unchosen_service_problem,
)
from publisher.config.load import key_line, load_config
from publisher.config.options import CONTROL, LINE_BREAKS
from publisher.config.schema import (
    LOGOS,
    PLACEHOLDER_UNSUBSCRIBE,
    PUSH,
    PUSH_SERVICES,
    SEND,
    UNSUBSCRIBE_PRESETS,
    WEB_PAGES,
    Colors,
    Config,
    logo_file,
    settings_text,
    tables_read_by,
)
from publisher.config.write import settings_reference, settings_template
from publisher.paths import CACHE_DIR, SETTINGS_FILE

__all__ = [
    "CACHE_DIR",
    "CONTROL",
    "LINE_BREAKS",
    "LOGOS",
    "PLACEHOLDER_UNSUBSCRIBE",
    "PUSH",
    "PUSH_SERVICES",
    "SEND",
    "SETTINGS_FILE",
    "UNSUBSCRIBE_PRESETS",
    "WEB_PAGES",
    "Colors",
    "Config",
    "address_problem",
    "ascii_address",
    "ascii_url",
    "is_placeholder_host",
    "key_line",
    "load_config",
    "logo_file",
    "no_header_problem",
    "placeholder_problem",
    "setting_problem",
    "settings_reference",
    "settings_template",
    "settings_text",
    "tables_read_by",
    "unchosen_service_problem",
]
