"""Maestro's configuration: every setting comes from the environment or a `.env` file.

`load_settings()` turns pydantic's validation errors into a `SettingsError` whose message names
the variable and how to fix it, so `maestro serve` can print it and exit without a traceback.
GitHub credentials are optional at start-up: without them the app serves its setup page.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ledger.checkpoint import CheckpointError
from ledger.signing_keys import load_private_key

_HINTS: dict[str, str] = {
    "app_id": "set MAESTRO_APP_ID to the numeric App ID shown on the GitHub App's settings page",
    "private_key": "set MAESTRO_PRIVATE_KEY to the PEM text of the App's private key "
    "(or MAESTRO_PRIVATE_KEY_PATH to the downloaded .pem file)",
    "private_key_path": "set MAESTRO_PRIVATE_KEY_PATH to the path of the App's .pem private key",
    "webhook_secret": "set MAESTRO_WEBHOOK_SECRET to the webhook secret entered on the App's page",
    "database_url": "set MAESTRO_DATABASE_URL to sqlite+aiosqlite:///./maestro.db or "
    "postgresql+asyncpg://user@host:5432/db",
    "github_api_url": "set MAESTRO_GITHUB_API_URL to https://api.github.com or "
    "https://HOST/api/v3 for GitHub Enterprise Server",
    "port": "set MAESTRO_PORT to a TCP port between 1 and 65535",
    "ledger_origin": "set MAESTRO_LEDGER_ORIGIN to a name for this log, e.g. "
    "maestro.example.com/ledger (no spaces or '+')",
    "ledger_key": "set MAESTRO_LEDGER_KEY to an Ed25519 private key (PKCS#8 PEM or base64 seed), "
    "or unset it to use <data_dir>/ledger-ed25519.pem",
}


class SettingsError(Exception):
    """A setting is missing or invalid; the message says which one and how to fix it."""


class Settings(BaseSettings):
    """All of Maestro's settings. Environment variables are prefixed with MAESTRO_."""

    model_config = SettingsConfigDict(
        env_prefix="MAESTRO_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    app_id: int | None = Field(default=None, gt=0)
    app_name: str | None = Field(default=None, description="shown on the status page")
    app_slug: str | None = Field(default=None, description="the app's URL name on GitHub")
    private_key: str | None = None
    private_key_path: Path | None = None
    webhook_secret: str | None = None
    database_url: str = "sqlite+aiosqlite:///./maestro.db"
    github_api_url: str = "https://api.github.com"
    github_web_url: str = "https://github.com"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    public_url: str | None = Field(
        default=None, description="URL GitHub reaches this app at (used by the manifest flow)"
    )
    env_file: Path = Path(".env")
    data_dir: Path = Path("./data")
    osv_dir: Path | None = Field(
        default=None, description="offline OSV database imported at start when the index is empty"
    )
    process_drafts: bool = False
    worker_enabled: bool = True
    worker_max_attempts: int = Field(default=6, ge=1)
    worker_backoff_base_seconds: float = Field(default=2.0, gt=0)
    worker_backoff_max_seconds: float = Field(default=600.0, gt=0)
    worker_poll_seconds: float = Field(default=1.0, gt=0)
    worker_lease_seconds: float = Field(default=300.0, gt=0)
    github_max_retries: int = Field(default=4, ge=0)
    github_max_wait_seconds: float = Field(default=60.0, ge=0)
    max_body_bytes: int = 25 * 1024 * 1024
    # Transparency ledger (docs/ledger.md): signing key, log name, checkpoint cadence, API pages.
    ledger_key: str | None = Field(default=None, repr=False)
    ledger_origin: str = "maestro.local/ledger"
    checkpoint_every_seconds: float | None = Field(default=300.0, gt=0)
    checkpoint_every_entries: int | None = Field(default=1000, ge=1)
    audit_page_size_max: int = Field(default=1000, ge=1, le=100_000)
    graph_snapshots_per_repo: int = Field(
        default=20, ge=1, description="code graph snapshots cached per repository (newest kept)"
    )

    @field_validator("database_url")
    @classmethod
    def _known_driver(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
        return value

    @field_validator("ledger_origin")
    @classmethod
    def _origin_is_a_key_name(cls, value: str) -> str:
        # The origin doubles as the signed-note key name: non-empty, no spaces, no '+'.
        if not value or "+" in value or any(ch.isspace() for ch in value):
            raise ValueError("must be non-empty without spaces or '+'")
        return value

    @field_validator("ledger_key")
    @classmethod
    def _ledger_key_loads(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.replace("\\n", "\n").strip() + "\n"
        try:
            load_private_key(value)
        except CheckpointError as exc:
            raise ValueError(f"not a usable Ed25519 key: {exc}") from None
        return value

    @field_validator("github_api_url", "github_web_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _load_key_file(self) -> Settings:
        if self.private_key is None and self.private_key_path is not None:
            try:
                self.private_key = self.private_key_path.read_text(encoding="utf-8")
            except OSError as exc:
                raise ValueError(
                    f"MAESTRO_PRIVATE_KEY_PATH: cannot read {self.private_key_path}: {exc.strerror}"
                ) from None
        if self.private_key is not None:
            # Keys pasted into .env often carry literal "\n" sequences.
            self.private_key = self.private_key.replace("\\n", "\n").strip() + "\n"
            source = "MAESTRO_PRIVATE_KEY" + ("_PATH" if self.private_key_path else "")
            try:
                _check_rsa_pem(self.private_key)
            except ValueError as exc:
                raise ValueError(f"{source}: {exc} — {_HINTS['private_key']}") from None
        return self

    @property
    def github_configured(self) -> bool:
        """True when the App can talk to GitHub and verify webhooks."""
        return bool(self.app_id and self.private_key and self.webhook_secret)

    def missing_github_settings(self) -> list[str]:
        missing = []
        if not self.app_id:
            missing.append("MAESTRO_APP_ID")
        if not self.private_key:
            missing.append("MAESTRO_PRIVATE_KEY")
        if not self.webhook_secret:
            missing.append("MAESTRO_WEBHOOK_SECRET")
        return missing


def _check_rsa_pem(pem: str) -> None:
    try:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError):
        raise ValueError(
            "private key is not a PEM-encoded private key "
            "(expected text starting with -----BEGIN RSA PRIVATE KEY-----)"
        ) from None
    if not isinstance(key, RSAPrivateKey):
        raise ValueError("private key must be an RSA key (GitHub Apps sign JWTs with RS256)")


def load_settings(**overrides: Any) -> Settings:
    """Read settings from the environment and `.env`; raise SettingsError with a fix-it message."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else ""
            message = error["msg"].removeprefix("Value error, ")
            if not field:  # model-level checks name their variable themselves
                lines.append(message)
                continue
            hint = _HINTS.get(field)
            lines.append(f"MAESTRO_{field.upper()}: {message}" + (f" — {hint}" if hint else ""))
        raise SettingsError("\n".join(lines)) from None
