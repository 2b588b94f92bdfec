"""Builds the GitHub App manifest that the setup page posts to GitHub (from `app.yml`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

APP_YML = Path(__file__).resolve().parent.parent / "app.yml"


def load_app_yml(path: Path = APP_YML) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping at the top level")
    return data


def build_manifest(base_url: str, name: str | None = None) -> dict[str, Any]:
    """The manifest with this server's webhook and redirect URLs filled in."""
    manifest = load_app_yml()
    base = base_url.rstrip("/")
    if name:
        manifest["name"] = name
    manifest["hook_attributes"] = {"url": f"{base}/webhook", "active": True}
    manifest["redirect_url"] = f"{base}/setup/callback"
    manifest["setup_url"] = f"{base}/"
    return manifest
