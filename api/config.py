"""Runtime settings, read from the environment (and a `.env` file) by pydantic-settings."""

from __future__ import annotations

import ipaddress
import json
import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = Field(default="sqlite:///./slotwise.db", alias="DATABASE_URL")
    # Empty means: generate one on first run and keep it in `secret_file`, so tokens survive a
    # restart without anyone having to invent a secret, and no secret ever lives in the code.
    jwt_secret: str = Field(default="", alias="SLOTWISE_JWT_SECRET")
    secret_file: Path = Field(default=Path("./.slotwise-secret"), alias="SLOTWISE_SECRET_FILE")
    jwt_issuer: str = Field(default="slotwise", alias="SLOTWISE_JWT_ISSUER")
    jwt_audience: str = Field(default="slotwise-api", alias="SLOTWISE_JWT_AUDIENCE")
    access_token_minutes: int = Field(default=30, ge=1, alias="SLOTWISE_ACCESS_TOKEN_MINUTES")
    patient_token_minutes: int = Field(default=60, ge=1, alias="SLOTWISE_PATIENT_TOKEN_MINUTES")
    # Origins allowed to call the API from a browser (the practice website embedding the widget).
    cors_origins: list[str] = Field(default_factory=list, alias="SLOTWISE_CORS_ORIGINS")
    solver_time_limit_seconds: float = Field(default=2.0, gt=0, alias="SLOTWISE_SOLVER_TIME_LIMIT")
    # A request body must arrive whole within this many seconds (api/core/body_limit.py).
    body_timeout_seconds: float = Field(default=10.0, gt=0, alias="SLOTWISE_BODY_TIMEOUT")
    sql_echo: bool = Field(default=False, alias="SLOTWISE_SQL_ECHO")
    # Calendar events fan out through Redis pub/sub when set (several workers or instances).
    redis_url: str = Field(default="", alias="SLOTWISE_REDIS_URL")
    # Reverse proxies whose X-Forwarded-For/-Proto are believed (IPs or CIDRs, comma-separated
    # or a JSON list). None by default: otherwise any caller could choose the address that the
    # per-address rate limits count (docs/security-limits.md#reverse-proxy).
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list, alias="SLOTWISE_TRUSTED_PROXIES"
    )
    # Prometheus metrics (docs/operations.md): "off"; "on" serves GET /metrics on the API's own
    # port (put it behind a proxy that keeps it private); "port:9100" serves them only on
    # 127.0.0.1:9100, beside the API, for a scraper on the same host.
    metrics: str = Field(default="off", alias="SLOTWISE_METRICS")
    # One JSON object per log line (production), or text for a person (`make demo`).
    log_format: Literal["json", "text"] = Field(default="json", alias="SLOTWISE_LOG_FORMAT")

    # Mail (docs/notifications.md). Links in mails start with public_url, never with the
    # request's Host header, which a caller chooses.
    public_url: str = Field(default="http://127.0.0.1:8000", alias="SLOTWISE_PUBLIC_URL")
    mail_sender: Literal["console", "file", "smtp"] = Field(
        default="console", alias="SLOTWISE_MAIL_SENDER"
    )
    mail_from: str = Field(default="Slotwise <no-reply@localhost>", alias="SLOTWISE_MAIL_FROM")
    mail_dir: Path = Field(default=Path("./mail"), alias="SLOTWISE_MAIL_DIR")
    smtp_host: str = Field(default="localhost", alias="SLOTWISE_SMTP_HOST")
    smtp_port: int = Field(default=587, ge=1, le=65535, alias="SLOTWISE_SMTP_PORT")
    smtp_security: Literal["starttls", "ssl", "none"] = Field(
        default="starttls", alias="SLOTWISE_SMTP_SECURITY"
    )
    smtp_username: str = Field(default="", alias="SLOTWISE_SMTP_USERNAME")
    smtp_password: SecretStr = Field(default=SecretStr(""), alias="SLOTWISE_SMTP_PASSWORD")
    smtp_timeout_seconds: float = Field(default=10.0, gt=0, alias="SLOTWISE_SMTP_TIMEOUT")
    # A private CA for the mail server's certificate; empty means the system's trust store.
    smtp_ca_file: str = Field(default="", alias="SLOTWISE_SMTP_CA_FILE")

    @field_validator("metrics")
    @classmethod
    def _metrics_mode(cls, value: str) -> str:
        text = value.strip().lower()
        if text in ("off", "on"):
            return text
        kind, _, port = text.partition(":")
        if kind == "port" and port.isdigit() and 1 <= int(port) <= 65535:
            return f"port:{int(port)}"
        raise ValueError(f"SLOTWISE_METRICS must be off, on or port:NNNN (got {value!r})")

    @property
    def metrics_route(self) -> bool:
        """Whether the API itself answers GET /metrics."""
        return self.metrics == "on"

    @property
    def metrics_port(self) -> int | None:
        """The 127.0.0.1 port `slotwise serve` serves metrics on, if one is set."""
        return int(self.metrics[5:]) if self.metrics.startswith("port:") else None

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: object) -> object:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_networks(cls, value: list[str]) -> list[str]:
        for entry in value:
            ipaddress.ip_network(entry, strict=False)  # its ValueError names the bad entry
        return value

    def signing_secret(self) -> str:
        if self.jwt_secret:
            return self.jwt_secret
        path = self.secret_file
        if path.exists():
            return path.read_text().strip()
        path.parent.mkdir(parents=True, exist_ok=True)
        secret = secrets.token_urlsafe(48)
        # O_EXCL: if two workers start at once, exactly one writes and both read the same secret.
        # The mode is given to open() itself, so the file is never readable by others, not even
        # between its creation and a chmod (the umask can only narrow it further).
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_text().strip()
        with os.fdopen(fd, "w") as fh:
            fh.write(secret)
        return secret


@lru_cache
def get_settings() -> Settings:
    return Settings()
