"""Runtime settings from the environment (prefix APP_) or a .env file."""

import os
import re
import secrets
from typing import Literal, Self
from urllib.parse import urlsplit

from limits import parse
from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from infrastructure.security.passwords import DEFAULT_HASH_QUEUE

DEFAULT_DATABASE_URL = "sqlite:///./app.db"
EVENT_BROKER_SCHEMES = ("amqp", "amqps", "nats")
POSTGRES_URL_EXAMPLE = "postgresql+asyncpg://user:password@host:5432/db"
# Either turns tracing on when APP_TRACING is unset (the SDK reads them, and the rest of OTEL_*).
OTLP_ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")
JWT_SECRET_MIN_BYTES = 32
JWT_SECRET_MIN_DISTINCT_CHARACTERS = 8
# An origin as browsers send it (RFC 6454): scheme, host, optional port; no path, no trailing slash.
_ORIGIN = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?|https?://\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?")


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
    # Pool of the server databases (PostgreSQL); SQLite uses its own pool. Opened as needed, then kept:
    # an overflow connection is closed when returned, so a pool with overflow keeps opening and closing
    # connections under a steady load (docs/performance.md); 20 + 0 has the same ceiling and keeps them.
    db_pool_size: int = Field(default=20, ge=1)
    db_max_overflow: int = Field(default=0, ge=0)
    db_pool_recycle_seconds: int = Field(default=1800, ge=-1)
    # Off: a read meeting a dropped connection is retried once instead (infrastructure/sql/read_session.py).
    db_pool_pre_ping: bool = False
    db_connect_timeout_seconds: float = Field(default=5.0, gt=0)
    # Longest wait for a free pooled connection (SQLite: for the connection's turn); past it, a 503.
    db_pool_timeout_seconds: float = Field(default=10.0, gt=0)
    # SQLite (WAL): "normal" syncs the log at checkpoints, "full" at every commit too. Both lose nothing
    # committed when the process crashes; at a power loss "normal" may lose the last commits
    # (docs/operations.md#durability says why "normal" is the default).
    sqlite_synchronous: Literal["normal", "full"] = "normal"
    # Unset outside production: a random secret is made at start-up (tokens end with the process).
    jwt_secret: str = ""
    jwt_issuer: str = "users-posts"
    jwt_audience: str = "users-posts"
    access_token_minutes: int = Field(default=15, ge=1, le=24 * 60)
    # Sessions (refresh tokens): an absolute lifetime, an idle limit, and the grace within which a
    # second refresh of one token is taken for a concurrent one rather than for theft.
    refresh_token_days: int = Field(default=30, ge=1, le=365)
    refresh_idle_days: int = Field(default=7, ge=1, le=365)
    refresh_reuse_grace_seconds: int = Field(default=10, ge=0, le=300)
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
    # Traces (OpenTelemetry): None follows the environment, on when OTEL_EXPORTER_OTLP_ENDPOINT or
    # OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set; true/on or false/off decides. The OTEL_* variables
    # themselves (endpoint, sampler, service name, resource) are read by the SDK.
    tracing: bool | None = None

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_case_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("sqlite_synchronous", mode="before")
    @classmethod
    def _lower_case_synchronous(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @property
    def tracing_enabled(self) -> bool:
        """Whether spans are made and exported: APP_TRACING, else whether an OTLP endpoint is set."""
        if self.tracing is not None:
            return self.tracing
        return any(os.environ.get(name) for name in OTLP_ENDPOINT_VARIABLES)

    @property
    def log_renderer(self) -> Literal["console", "json"]:
        """The log format in effect: APP_LOG_FORMAT, or what suits APP_ENV."""
        return self.log_format or ("json" if self.env == "production" else "console")

    # Rate limits, in the `limits` notation; kept in Redis when redis_url is set, in memory otherwise.
    redis_url: str | None = None
    redis_key_prefix: str = "users-posts"
    limit_login_per_account: str = "10/15 minutes"
    limit_login_per_address: str = "50/15 minutes"
    limit_register_per_address: str = "20/hour"
    limit_posts_per_user: str = "60/minute"
    limit_comments_per_user: str = "30/minute"
    # Password hashing: at most hash_concurrency at once, hash_queue more waiting, 503 beyond.
    hash_concurrency: int = Field(default_factory=lambda: os.cpu_count() or 1, ge=1)
    hash_queue: int = Field(default=DEFAULT_HASH_QUEUE, ge=0)
    # --- Scale-out on PostgreSQL (issue 19): a transaction-mode pooler, read replicas ---
    # False behind a transaction-mode pooler (PgBouncer): no statement is kept prepared on a connection.
    db_prepared_statements: bool = True
    # Where `users-posts migrate` connects: PostgreSQL itself when the app goes through a pooler (DDL in
    # one long transaction should not hold one of the pooler's few server connections); unset, the app's.
    database_migration_url: str | None = None
    # Streaming replicas serving read-only units of work, comma-separated postgresql+asyncpg:// URLs.
    database_replica_urls: str = ""
    replica_max_lag_seconds: float = Field(default=10.0, gt=0)
    replica_check_interval_seconds: float = Field(default=1.0, gt=0)
    # Absolute base of the `Link` headers (e.g. https://api.example.com); relative links when unset.
    public_url: str | None = None
    # Host header values served, comma-separated ("*": any; refused in production).
    allowed_hosts: str = "*"
    # Browser apps on other origins (CORS): exact origins, comma-separated; "*" any (refused in
    # production); empty (the default): none.
    cors_origins: str = ""
    cors_max_age_seconds: int = Field(default=600, ge=0, le=86_400)
    # A PATCH or DELETE of a post or of /users/me without If-Match is a 428 (lost updates impossible).
    require_if_match: bool = False
    # Cookie sessions (POST /auth/session): their cookies are `Secure`. False only for plain-HTTP
    # development on a host other than localhost (refused in production).
    cookie_secure: bool = True

    # --- Mail and account recovery (issue 16) ---
    # smtp | console (a log event per message) | off; unset: smtp when APP_SMTP_HOST is set, else console.
    mail_backend: Literal["smtp", "console", "off"] | None = None
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_security: Literal["starttls", "tls", "none"] = "starttls"
    smtp_timeout_seconds: float = Field(default=10.0, gt=0)
    mail_from: str = "Users & posts <no-reply@localhost>"
    # Where the pages a mailed link opens live (…/reset-password, …/verify-email); APP_PUBLIC_URL if unset.
    frontend_url: str | None = None
    password_reset_minutes: int = Field(default=30, ge=1, le=24 * 60)
    email_verification_hours: int = Field(default=24, ge=1, le=30 * 24)
    require_verified_email: bool = False
    # The delivery loop: poll interval, attempts before giving up, first and longest retry delay.
    mail_poll_seconds: float = Field(default=5.0, gt=0)
    mail_max_attempts: int = Field(default=10, ge=1)
    mail_retry_seconds: float = Field(default=5.0, gt=0)
    mail_retry_max_seconds: float = Field(default=900.0, gt=0)
    limit_password_reset_per_account: str = "5/hour"
    limit_password_reset_per_address: str = "20/hour"
    limit_confirm_per_address: str = "20/hour"
    limit_verification_email_per_user: str = "5/hour"

    # --- Domain events (issue 27) ---
    # The broker: amqp:// or amqps:// (RabbitMQ), nats:// (NATS JetStream); unset: no events are written.
    events_url: str | None = None
    events_source: str = Field(default="/users-posts", min_length=1)  # every event's CloudEvents `source`
    events_exchange: str = Field(default="users-posts", min_length=1)  # RabbitMQ: the durable topic exchange
    events_stream: str = Field(default="USERS_POSTS", pattern=r"^[A-Za-z0-9_-]+$")  # NATS: the stream
    # NATS: put before each subject (e.g. "staging."), for deployments sharing one server: JetStream
    # streams may not share subjects. Empty: the subject is the event's type.
    events_subject_prefix: str = Field(default="", pattern=r"^([A-Za-z0-9_-]+\.)*$")
    # Connecting and each publish (the broker's confirmation included) within this.
    events_timeout_seconds: float = Field(default=10.0, gt=0)
    # The delivery loop, as mail's: poll interval, attempts before giving up, first and longest delay
    # (between attempts, and between reconnections while the broker is down: those spend no attempt).
    events_poll_seconds: float = Field(default=5.0, gt=0)
    events_max_attempts: int = Field(default=20, ge=1)
    events_retry_seconds: float = Field(default=1.0, gt=0)
    events_retry_max_seconds: float = Field(default=60.0, gt=0)

    @field_validator("events_url")
    @classmethod
    def _a_broker_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        if urlsplit(value).scheme.lower() not in EVENT_BROKER_SCHEMES:
            raise ValueError(
                "must name a broker: amqp://user:password@host:5672/ (RabbitMQ) or nats://host:4222 "
                "(NATS JetStream)"
            )
        return value

    @property
    def mail_delivery(self) -> Literal["smtp", "console", "off"]:
        """The mail backend in effect."""
        return self.mail_backend or ("smtp" if self.smtp_host else "console")

    @property
    def link_base(self) -> str:
        """The base of mailed links: APP_FRONTEND_URL, else APP_PUBLIC_URL, else the local server."""
        return self.frontend_url or self.public_url or "http://127.0.0.1:8000"

    @field_validator(
        "limit_login_per_account",
        "limit_login_per_address",
        "limit_register_per_address",
        "limit_posts_per_user",
        "limit_comments_per_user",
        "limit_password_reset_per_account",
        "limit_password_reset_per_address",
        "limit_confirm_per_address",
        "limit_verification_email_per_user",
    )
    @classmethod
    def _a_rate_limit(cls, value: str) -> str:
        try:
            parse(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a rate limit such as '10/15 minutes'") from None
        return value

    @field_validator("public_url", "frontend_url")
    @classmethod
    def _an_absolute_url(cls, value: str | None) -> str | None:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must be an absolute http(s) URL")
        return value.rstrip("/") if value else None

    @property
    def allowed_host_list(self) -> list[str]:
        return _listed(self.allowed_hosts)

    @field_validator("cors_origins")
    @classmethod
    def _exact_origins(cls, value: str) -> str:
        for origin in _listed(value):
            if origin != "*" and not _ORIGIN.fullmatch(origin):
                raise ValueError(
                    f"{origin!r} is not an origin: scheme://host[:port], no path or trailing slash "
                    "(e.g. https://app.example.com)"
                )
        return value

    @property
    def cors_origin_list(self) -> list[str]:
        return _listed(self.cors_origins)

    @field_validator("database_url", "database_migration_url")
    @classmethod
    def _url_names_the_driver_that_runs(cls, database_url: str | None) -> str | None:
        if database_url and (problem := database_url_problem(database_url)):
            raise ValueError(problem)
        return database_url

    @property
    def replica_url_list(self) -> list[str]:
        return [url.strip() for url in self.database_replica_urls.split(",") if url.strip()]

    @property
    def migration_url(self) -> str:
        """Where migrations run: APP_DATABASE_MIGRATION_URL, else APP_DATABASE_URL."""
        return self.database_migration_url or self.database_url

    @model_validator(mode="after")
    def _replicas_of_postgres(self) -> Self:
        for url in self.replica_url_list:
            try:
                parsed = make_url(url)
            except ArgumentError:
                raise ValueError(f"APP_DATABASE_REPLICA_URLS: {url!r} is not a database URL") from None
            if parsed.drivername != "postgresql+asyncpg":
                raise ValueError(f"APP_DATABASE_REPLICA_URLS: use {POSTGRES_URL_EXAMPLE} URLs")
        if self.replica_url_list and not self.database_url.startswith("postgresql+asyncpg://"):
            raise ValueError("APP_DATABASE_REPLICA_URLS needs a PostgreSQL APP_DATABASE_URL")
        return self

    @model_validator(mode="after")
    def _production_is_safe(self) -> Self:
        if self.env != "production":
            if not self.jwt_secret:
                self.jwt_secret = secrets.token_urlsafe(48)
            return self
        secret = self.jwt_secret
        if (
            len(secret.encode()) < JWT_SECRET_MIN_BYTES
            or len(set(secret)) < JWT_SECRET_MIN_DISTINCT_CHARACTERS
        ):
            raise ValueError(
                "refusing to run in production without a strong APP_JWT_SECRET: set it to a random "
                f"string of at least {JWT_SECRET_MIN_BYTES} bytes "
                '(python -c "import secrets; print(secrets.token_urlsafe(48))")'
            )
        if "*" in self.allowed_host_list:
            raise ValueError(
                "refusing to run in production answering any Host: set APP_ALLOWED_HOSTS to the "
                "host names served, comma-separated"
            )
        if "*" in self.cors_origin_list:
            raise ValueError(
                "refusing to run in production letting any origin call the API: set APP_CORS_ORIGINS "
                "to the exact origins of the browser apps, comma-separated"
            )
        if not self.cookie_secure:
            raise ValueError(
                "refusing to run in production with session cookies sent over plain HTTP: unset "
                "APP_COOKIE_SECURE (serve HTTPS)"
            )
        return self

    @model_validator(mode="after")
    def _mail_can_work(self) -> Self:
        if self.mail_delivery == "smtp" and not self.smtp_host:
            raise ValueError("APP_MAIL_BACKEND=smtp needs APP_SMTP_HOST")
        if self.env == "production" and self.mail_delivery == "console":
            raise ValueError(
                "refusing to run in production without a mail server: set APP_SMTP_HOST (and "
                "APP_MAIL_FROM), or switch mail off explicitly with APP_MAIL_BACKEND=off"
            )
        if (
            self.env == "production"
            and self.mail_delivery == "smtp"
            and not self.link_base.startswith("https://")
        ):
            raise ValueError(
                "refusing to mail links in production without an https base: set APP_FRONTEND_URL "
                "(or APP_PUBLIC_URL)"
            )
        return self


def _listed(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


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
