"""Runtime settings from the environment (prefix APP_) or a .env file."""

from typing import Literal, Self

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./app.db"
DEFAULT_JWT_SECRET = "dev-secret-change-me-in-production-please"
JWT_SECRET_MIN_LENGTH = 32


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="APP_", env_file=".env", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    database_url: str = DEFAULT_DATABASE_URL
    # Pool of the server databases (PostgreSQL); SQLite uses its own pool.
    db_pool_size: int = Field(default=10, ge=1)
    db_max_overflow: int = Field(default=10, ge=0)
    db_pool_recycle_seconds: int = Field(default=1800, ge=-1)
    db_pool_pre_ping: bool = True
    db_connect_timeout_seconds: float = Field(default=5.0, gt=0)
    jwt_secret: str = DEFAULT_JWT_SECRET
    access_token_minutes: int = Field(default=30, ge=1, le=24 * 60)
    # Shared state of several processes (rate limits); unset, each process keeps its own.
    redis_url: str | None = None
    # The HTTP server `users-posts serve` starts: what a slow or hostile client may hold.
    server_header_timeout_seconds: float = Field(default=10.0, gt=0)
    server_max_header_bytes: int = Field(default=16 * 1024, ge=1024)
    server_max_connections: int = Field(default=1000, ge=1)
    server_keep_alive_seconds: float = Field(default=5.0, gt=0)
    shutdown_grace_seconds: float = Field(default=20.0, gt=0)
    # None: console in development and test, json in production.
    log_format: Literal["console", "json"] | None = None
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    metrics_enabled: bool = True

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_case_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @property
    def log_renderer(self) -> Literal["console", "json"]:
        """The log format in effect: APP_LOG_FORMAT, or what suits APP_ENV."""
        return self.log_format or ("json" if self.env == "production" else "console")

    @model_validator(mode="after")
    def _production_needs_a_real_secret(self) -> Self:
        if self.env == "production" and (
            self.jwt_secret == DEFAULT_JWT_SECRET or len(self.jwt_secret) < JWT_SECRET_MIN_LENGTH
        ):
            raise ValueError(
                "refusing to run in production with the default or a short APP_JWT_SECRET: set it "
                f"to a random string of at least {JWT_SECRET_MIN_LENGTH} characters "
                '(python -c "import secrets; print(secrets.token_urlsafe(48))")'
            )
        return self


class InvalidSettings(Exception):
    """Settings that cannot be used, said in one line naming each variable at fault."""


def load_settings() -> Settings:
    """Settings from the environment, or InvalidSettings with one line instead of pydantic's report."""
    try:
        return Settings()
    except ValidationError as error:
        problems = []
        for problem in error.errors():
            variable = "APP_" + "_".join(map(str, problem["loc"])).upper() if problem["loc"] else ""
            message = problem["msg"].removeprefix("Value error, ")
            problems.append(f"{variable}: {message}" if variable else message)
        raise InvalidSettings("invalid settings: " + "; ".join(problems)) from None
