"""Runtime settings, read from the environment (and a `.env` file) by pydantic-settings."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


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
    sql_echo: bool = Field(default=False, alias="SLOTWISE_SQL_ECHO")
    # Calendar events fan out through Redis pub/sub when set (several workers or instances).
    redis_url: str = Field(default="", alias="SLOTWISE_REDIS_URL")

    def signing_secret(self) -> str:
        if self.jwt_secret:
            return self.jwt_secret
        path = self.secret_file
        if path.exists():
            return path.read_text().strip()
        path.parent.mkdir(parents=True, exist_ok=True)
        secret = secrets.token_urlsafe(48)
        # O_EXCL: if two workers start at once, exactly one writes and both read the same secret.
        try:
            with path.open("x") as fh:
                fh.write(secret)
            path.chmod(0o600)
        except FileExistsError:
            pass
        return path.read_text().strip()


@lru_cache
def get_settings() -> Settings:
    return Settings()
