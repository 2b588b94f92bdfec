"""Helpers shared by command modules: settings with friendly errors, running coroutines."""

from __future__ import annotations

import sys
from typing import Any

from app.settings import Settings, SettingsError, load_settings


def settings_or_exit(**overrides: Any) -> Settings:
    """Load settings; on error print what is wrong and how to fix it, then exit 2."""
    try:
        return load_settings(**overrides)
    except SettingsError as exc:
        print("maestro: invalid configuration:", file=sys.stderr)
        for line in str(exc).splitlines():
            print(f"  {line}", file=sys.stderr)
        raise SystemExit(2) from None
