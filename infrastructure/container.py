"""The composition root: which adapter serves which port. Tests override providers to swap them."""

import dataclasses
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal, cast

from dependency_injector import containers, providers

from application.auth import Authenticate, CurrentUser, SignOutEverywhere
from application.comments import CreateComment, DeleteComment, GetComment, ListComments, UpdateComment
from application.idempotency import Idempotency
from application.mail import Links, Mailing
from application.moderation import (
    ChangeRole,
    GrantRole,
    ListUsersAsAdmin,
    ReadAuditLog,
    ReinstateUser,
    SuspendUser,
)
from application.one_time_tokens import OneTimeTokens
from application.ports.events import EventPublisher
from application.ports.mail import Mailer
from application.ports.security import PasswordHasher
from application.ports.throttling import Throttle
from application.posts import CreatePost, DeletePost, GetPost, ListPosts, ListUserPosts, UpdatePost
from application.recovery import RequestPasswordReset, ResetPassword
from application.sessions import EndSession, ListSessions, RefreshSession, RevokeToken
from application.users import DeleteAccount, GetUser, ListUsers, RegisterUser, UpdateProfile
from application.verification import SendVerificationEmail, VerifyEmail
from domain.sessions import SessionLifetimes
from infrastructure.clock import SystemClock
from infrastructure.events.configured_broker import make_broker
from infrastructure.events.delivery import EventDelivery, EventUnitOfWork
from infrastructure.events.queue import EventRecording
from infrastructure.mail.delivery import MailDelivery
from infrastructure.mail.mailers import make_mailer, sender_domain
from infrastructure.outbox.delivery import DeliveryPolicy
from infrastructure.outbox.signal import DeliverySignal
from infrastructure.rate_limits import LimitsRateLimiter, parse_rules
from infrastructure.security.passwords import Argon2PasswordHasher, MeasuredPasswordHasher
from infrastructure.security.tokens import JwtTokenService
from infrastructure.settings import Settings, load_settings
from infrastructure.sql.databases import make_database
from infrastructure.sql.unit_of_work import SqlUnitOfWork, read_only_unit_of_work

if TYPE_CHECKING:
    from infrastructure.tracing.setup import Tracing


def _password_hasher(settings: Settings, hasher: PasswordHasher) -> PasswordHasher:
    return MeasuredPasswordHasher(hasher) if settings.metrics_enabled else hasher


def _token_service(settings: Settings, clock: SystemClock) -> JwtTokenService:
    lifetime = timedelta(minutes=settings.access_token_minutes)
    return JwtTokenService(settings.jwt_secret, lifetime, clock, settings.jwt_issuer, settings.jwt_audience)


def _session_lifetimes(settings: Settings) -> SessionLifetimes:
    return SessionLifetimes(
        absolute=timedelta(days=settings.refresh_token_days),
        idle=timedelta(days=settings.refresh_idle_days),
        reuse_grace=timedelta(seconds=settings.refresh_reuse_grace_seconds),
    )


def _argon2_hasher(settings: Settings) -> Argon2PasswordHasher:
    return Argon2PasswordHasher(settings.hash_concurrency, settings.hash_queue)


def _rate_limiter(settings: Settings) -> LimitsRateLimiter:
    rules = parse_rules(
        {
            Throttle.FAILED_LOGIN_PER_ACCOUNT: settings.limit_login_per_account,
            Throttle.FAILED_LOGIN_PER_ADDRESS: settings.limit_login_per_address,
            Throttle.REGISTRATION_PER_ADDRESS: settings.limit_register_per_address,
            Throttle.POST_PER_USER: settings.limit_posts_per_user,
            Throttle.COMMENT_PER_USER: settings.limit_comments_per_user,
            Throttle.PASSWORD_RESET_PER_ACCOUNT: settings.limit_password_reset_per_account,
            Throttle.PASSWORD_RESET_PER_ADDRESS: settings.limit_password_reset_per_address,
            Throttle.TOKEN_CONFIRM_PER_ADDRESS: settings.limit_confirm_per_address,
            Throttle.VERIFICATION_EMAIL_PER_USER: settings.limit_verification_email_per_user,
        }
    )
    return LimitsRateLimiter(rules, settings.redis_url, settings.redis_key_prefix)


def _mailing(settings: Settings, clock: SystemClock) -> Mailing:
    base = settings.link_base
    tokens = OneTimeTokens(
        password_reset_lifetime=timedelta(minutes=settings.password_reset_minutes),
        email_verification_lifetime=timedelta(hours=settings.email_verification_hours),
    )
    links = Links(password_reset=f"{base}/reset-password", email_verification=f"{base}/verify-email")
    return Mailing(links, clock, tokens, enabled=settings.mail_delivery != "off")


def _delivery_policy(
    settings: Settings, kind: Literal["mail", "events"], timeout_seconds: float, **tuning: Any
) -> DeliveryPolicy:
    """The delivery policy of a kind from its settings (APP_<KIND>_POLL_SECONDS, _MAX_ATTEMPTS,
    _RETRY_SECONDS, _RETRY_MAX_SECONDS); a claim outlives 6 times the timeout of one delivery."""
    return DeliveryPolicy(
        poll_seconds=getattr(settings, f"{kind}_poll_seconds"),
        max_attempts=getattr(settings, f"{kind}_max_attempts"),
        first_retry_seconds=getattr(settings, f"{kind}_retry_seconds"),
        max_retry_seconds=getattr(settings, f"{kind}_retry_max_seconds"),
        lease_seconds=6 * timeout_seconds,
        **tuning,
    )


def _mail_delivery(
    settings: Settings,
    new_uow: Callable[[], SqlUnitOfWork],
    mailer: Mailer,
    clock: SystemClock,
    signal: DeliverySignal,
) -> MailDelivery:
    # A send is a few SMTP exchanges, each bounded by the timeout.
    policy = _delivery_policy(settings, "mail", settings.smtp_timeout_seconds)
    return MailDelivery(new_uow, mailer, clock, signal, policy, sender_domain(settings.mail_from))


def _event_recording(settings: Settings, clock: SystemClock, signal: DeliverySignal) -> EventRecording | None:
    """How units of work record events: not at all without a broker (APP_EVENTS_URL unset)."""
    return EventRecording(clock, signal) if settings.events_url else None


# Events come with most writes: batches large enough, and gathered for long enough, that claiming and
# marking them costs a writing request little (docs/performance.md, "Events").
EVENT_BATCH_SIZE = 100
EVENT_LINGER_SECONDS = 0.05


def _event_delivery(
    settings: Settings,
    new_uow: Callable[[], SqlUnitOfWork],
    publisher: EventPublisher,
    clock: SystemClock,
    signal: DeliverySignal,
) -> EventDelivery:
    # A batch is published at once, each publish (its confirmation included) within the timeout.
    policy = _delivery_policy(
        settings,
        "events",
        settings.events_timeout_seconds,
        batch_size=EVENT_BATCH_SIZE,
        linger_seconds=EVENT_LINGER_SECONDS,
    )
    # The loop runs only with a broker, when every unit of work records events (SqlEventOutbox).
    events_uow = cast(Callable[[], EventUnitOfWork], new_uow)
    return EventDelivery(events_uow, publisher, clock, signal, policy, settings.events_source)


def _tracing() -> "Tracing":
    # Imported here: OpenTelemetry's SDK is loaded only by an app that traces (APP_TRACING).
    from infrastructure.tracing.setup import Tracing

    return Tracing()


class Wiring:
    """Builds use cases from the container's shared providers, matched by the name of each dataclass
    field (`new_uow`, `clock`, `limiter`…): a use case is registered by naming its class. A field that
    is neither wired nor defaulted is refused when the container class is made."""

    def __init__(self, **shared: providers.Provider[Any]) -> None:
        self._shared = shared

    def __call__(self, *use_cases: type) -> providers.Aggregate[Any]:
        """One provider per use case, under its class name (`container.posts.CreatePost()`)."""
        return providers.Aggregate({kind.__name__: self._factory(kind) for kind in use_cases})

    def _factory(self, kind: type) -> providers.Factory[Any]:
        wired = {}
        for field in dataclasses.fields(kind):
            if field.name in self._shared:
                wired[field.name] = self._shared[field.name]
            elif field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
                raise LookupError(f"{kind.__name__}.{field.name}: no provider of that name to wire")
        return providers.Factory(kind, **wired)


class Container(containers.DeclarativeContainer):
    settings = providers.Singleton(load_settings)
    database = providers.Singleton(make_database, settings)
    clock = providers.Singleton(SystemClock)
    mail_signal = providers.Singleton(DeliverySignal)  # a commit that wrote mail wakes the delivery loop
    event_signal = providers.Singleton(DeliverySignal)  # and one that wrote events, theirs
    event_recording = providers.Singleton(_event_recording, settings, clock, event_signal)
    uow = providers.Factory(SqlUnitOfWork, database, mail_signal=mail_signal, events=event_recording)
    read_uow = providers.Factory(read_only_unit_of_work, database)  # for use cases that only read
    argon2_hasher = providers.Singleton(_argon2_hasher, settings)
    hasher = providers.Singleton(_password_hasher, settings, argon2_hasher)  # timed when metrics are on
    tokens = providers.Singleton(_token_service, settings, clock)
    rate_limiter = providers.Singleton(_rate_limiter, settings)
    session_lifetimes = providers.Singleton(_session_lifetimes, settings)
    mailer = providers.Singleton(make_mailer, settings)
    mailing = providers.Singleton(_mailing, settings, clock)
    mail_delivery = providers.Singleton(_mail_delivery, settings, uow.provider, mailer, clock, mail_signal)
    event_broker = providers.Singleton(make_broker, settings)  # only made with APP_EVENTS_URL set
    tracing = providers.Singleton(_tracing)  # only made when tracing is on (Settings.tracing_enabled)
    event_delivery = providers.Singleton(
        _event_delivery, settings, uow.provider, event_broker, clock, event_signal
    )

    # The use cases, by resource: each gets the providers above that its fields name.
    use_cases = Wiring(
        new_uow=uow.provider,
        new_read_uow=read_uow.provider,
        hasher=hasher,
        clock=clock,
        tokens=tokens,
        limiter=rate_limiter,
        lifetimes=session_lifetimes,
        mailing=mailing,
        require_verified_email=settings.provided.require_verified_email,
    )
    users = use_cases(RegisterUser, GetUser, ListUsers, UpdateProfile, DeleteAccount)
    auth = use_cases(Authenticate, CurrentUser, SignOutEverywhere)
    sessions = use_cases(RefreshSession, RevokeToken, ListSessions, EndSession)
    recovery = use_cases(RequestPasswordReset, ResetPassword, VerifyEmail, SendVerificationEmail)
    posts = use_cases(CreatePost, GetPost, ListPosts, ListUserPosts, UpdatePost, DeletePost)
    comments = use_cases(CreateComment, GetComment, ListComments, UpdateComment, DeleteComment)
    moderation = use_cases(ListUsersAsAdmin, ReadAuditLog, ChangeRole, SuspendUser, ReinstateUser, GrantRole)
    idempotency = use_cases(Idempotency)
