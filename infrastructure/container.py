"""The composition root: which adapter serves which port. Tests override providers to swap them."""

from collections.abc import Callable
from datetime import timedelta

from dependency_injector import containers, providers

from application.auth import Authenticate, CurrentUser, SignOutEverywhere
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
from infrastructure.mail.delivery import DeliveryPolicy, MailDelivery
from infrastructure.mail.mailers import make_mailer, sender_domain
from infrastructure.mail.signal import MailSignal
from infrastructure.rate_limits import LimitsRateLimiter, parse_rules
from infrastructure.security.passwords import Argon2PasswordHasher, MeasuredPasswordHasher
from infrastructure.security.tokens import JwtTokenService
from infrastructure.settings import Settings, load_settings
from infrastructure.sql.databases import make_database
from infrastructure.sql.unit_of_work import SqlUnitOfWork, read_only_unit_of_work


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


def _mail_delivery(
    settings: Settings,
    new_uow: Callable[[], SqlUnitOfWork],
    mailer: Mailer,
    clock: SystemClock,
    signal: MailSignal,
) -> MailDelivery:
    policy = DeliveryPolicy(
        poll_seconds=settings.mail_poll_seconds,
        max_attempts=settings.mail_max_attempts,
        first_retry_seconds=settings.mail_retry_seconds,
        max_retry_seconds=settings.mail_retry_max_seconds,
        # A send is a few SMTP exchanges, each bounded by the timeout; a claim outlives it.
        lease_seconds=6 * settings.smtp_timeout_seconds,
    )
    return MailDelivery(new_uow, mailer, clock, signal, policy, sender_domain(settings.mail_from))


class Container(containers.DeclarativeContainer):
    settings = providers.Singleton(load_settings)
    database = providers.Singleton(make_database, settings)
    mail_signal = providers.Singleton(MailSignal)  # a commit that wrote mail wakes the delivery loop
    # Use cases get `uow.provider`: a factory of UoWs.
    uow = providers.Factory(SqlUnitOfWork, database, mail_signal=mail_signal)
    read_uow = providers.Factory(read_only_unit_of_work, database)  # for use cases that only read
    argon2_hasher = providers.Singleton(_argon2_hasher, settings)
    hasher = providers.Singleton(_password_hasher, settings, argon2_hasher)  # timed when metrics are on
    clock = providers.Singleton(SystemClock)
    tokens = providers.Singleton(_token_service, settings, clock)
    rate_limiter = providers.Singleton(_rate_limiter, settings)
    session_lifetimes = providers.Singleton(_session_lifetimes, settings)

    # Account recovery (issue 16): mail, its delivery loop, one-time tokens.
    mailer = providers.Singleton(make_mailer, settings)
    mailing = providers.Singleton(_mailing, settings, clock)
    mail_delivery = providers.Singleton(_mail_delivery, settings, uow.provider, mailer, clock, mail_signal)
    request_password_reset = providers.Factory(
        RequestPasswordReset, new_uow=uow.provider, mailing=mailing, clock=clock, limiter=rate_limiter
    )
    reset_password = providers.Factory(
        ResetPassword, new_uow=uow.provider, hasher=hasher, mailing=mailing, clock=clock, limiter=rate_limiter
    )
    verify_email = providers.Factory(
        VerifyEmail, new_uow=uow.provider, mailing=mailing, clock=clock, limiter=rate_limiter
    )
    send_verification_email = providers.Factory(
        SendVerificationEmail, new_uow=uow.provider, mailing=mailing, clock=clock, limiter=rate_limiter
    )

    register_user = providers.Factory(
        RegisterUser, new_uow=uow.provider, hasher=hasher, clock=clock, limiter=rate_limiter, mailing=mailing
    )
    get_user = providers.Factory(GetUser, new_read_uow=read_uow.provider)
    list_users = providers.Factory(ListUsers, new_read_uow=read_uow.provider)
    update_profile = providers.Factory(
        UpdateProfile, new_uow=uow.provider, hasher=hasher, limiter=rate_limiter, mailing=mailing
    )
    delete_account = providers.Factory(
        DeleteAccount, new_uow=uow.provider, hasher=hasher, limiter=rate_limiter
    )

    authenticate = providers.Factory(
        Authenticate,
        new_uow=uow.provider,
        hasher=hasher,
        tokens=tokens,
        clock=clock,
        limiter=rate_limiter,
        lifetimes=session_lifetimes,
    )
    current_user = providers.Factory(CurrentUser, new_read_uow=read_uow.provider, tokens=tokens)
    sign_out_everywhere = providers.Factory(SignOutEverywhere, new_uow=uow.provider)

    create_post = providers.Factory(
        CreatePost,
        new_uow=uow.provider,
        clock=clock,
        limiter=rate_limiter,
        require_verified_email=settings.provided.require_verified_email,
    )
    get_post = providers.Factory(GetPost, new_read_uow=read_uow.provider)
    list_posts = providers.Factory(ListPosts, new_read_uow=read_uow.provider)
    list_user_posts = providers.Factory(ListUserPosts, new_read_uow=read_uow.provider)
    update_post = providers.Factory(UpdatePost, new_uow=uow.provider, clock=clock)
    delete_post = providers.Factory(DeletePost, new_uow=uow.provider, clock=clock)

    # Sessions, roles and moderation (issue 17)
    refresh_session = providers.Factory(
        RefreshSession, new_uow=uow.provider, tokens=tokens, clock=clock, lifetimes=session_lifetimes
    )
    revoke_token = providers.Factory(RevokeToken, new_uow=uow.provider, tokens=tokens)
    list_sessions = providers.Factory(
        ListSessions, new_read_uow=read_uow.provider, clock=clock, lifetimes=session_lifetimes
    )
    end_session = providers.Factory(EndSession, new_uow=uow.provider)
    list_users_as_admin = providers.Factory(ListUsersAsAdmin, new_read_uow=read_uow.provider)
    read_audit_log = providers.Factory(ReadAuditLog, new_read_uow=read_uow.provider)
    change_role = providers.Factory(ChangeRole, new_uow=uow.provider, clock=clock)
    suspend_user = providers.Factory(SuspendUser, new_uow=uow.provider, clock=clock)
    reinstate_user = providers.Factory(ReinstateUser, new_uow=uow.provider, clock=clock)
    grant_role = providers.Factory(GrantRole, new_uow=uow.provider, clock=clock)

    idempotency = providers.Factory(Idempotency, new_uow=uow.provider, clock=clock)
