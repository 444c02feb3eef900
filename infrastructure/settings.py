"""Runtime settings from the environment (prefix APP_) or a .env file."""

from typing import Literal, Self

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_DATABASE_URL = "sqlite:///./app.db"
POSTGRES_URL_EXAMPLE = "postgresql+asyncpg://user:password@host:5432/db"
DEFAULT_JWT_SECRET = "dev-secret-change-me-in-production-please"
JWT_SECRET_MIN_LENGTH = 32


def database_url_problem(database_url: str) -> str | None:
    """Why `database_url` would not say what runs, or None. No silent driver swap: SQLite runs through
    the standard sqlite3 driver, inline on the event loop, PostgreSQL through asyncpg."""
    try:
        url = make_url(database_url)
    except ArgumentError:
        return None  # malformed: reported by whoever connects, with the reason
    backend, driver = url.get_backend_name(), url.get_driver_name()
    if backend == "sqlite" and driver != "pysqlite":
        return (
            f"{url.drivername}:// does not run here (SQLite runs on the standard sqlite3 driver, "
            f"inline): use sqlite:///{url.database or ''}"
        )
    if backend == "postgresql" and driver != "asyncpg":
        return f"{url.drivername}:// does not run here: use {POSTGRES_URL_EXAMPLE}"
    return None


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
    # Longest wait for a free pooled connection (SQLite: for the connection's turn); past it, a 503.
    db_pool_timeout_seconds: float = Field(default=10.0, gt=0)
    jwt_secret: str = DEFAULT_JWT_SECRET
    access_token_minutes: int = Field(default=30, ge=1, le=24 * 60)

    @field_validator("database_url")
    @classmethod
    def _url_names_the_driver_that_runs(cls, database_url: str) -> str:
        if problem := database_url_problem(database_url):
            raise ValueError(problem)
        return database_url

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
