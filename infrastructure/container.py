"""The composition root: which adapter serves which port. Tests override providers to swap them."""

from datetime import timedelta

from dependency_injector import containers, providers

from application.auth import Authenticate, CurrentUser, SignOutEverywhere
from application.idempotency import Idempotency
from application.ports import PasswordHasher, Throttle
from application.posts import CreatePost, DeletePost, GetPost, ListPosts, ListUserPosts, UpdatePost
from application.users import DeleteAccount, GetUser, ListUsers, RegisterUser, UpdateProfile
from infrastructure.clock import SystemClock
from infrastructure.metrics import MeasuredPasswordHasher
from infrastructure.rate_limits import LimitsRateLimiter, parse_rules
from infrastructure.security import Argon2PasswordHasher, JwtTokenService
from infrastructure.settings import Settings, load_settings
from infrastructure.sql.engine import make_database
from infrastructure.sql.unit_of_work import SqlUnitOfWork, read_only_unit_of_work


def _password_hasher(settings: Settings, hasher: PasswordHasher) -> PasswordHasher:
    return MeasuredPasswordHasher(hasher) if settings.metrics_enabled else hasher


def _token_service(settings: Settings, clock: SystemClock) -> JwtTokenService:
    lifetime = timedelta(minutes=settings.access_token_minutes)
    return JwtTokenService(settings.jwt_secret, lifetime, clock, settings.jwt_issuer, settings.jwt_audience)


def _argon2_hasher(settings: Settings) -> Argon2PasswordHasher:
    return Argon2PasswordHasher(settings.hash_concurrency, settings.hash_queue)


def _rate_limiter(settings: Settings) -> LimitsRateLimiter:
    rules = parse_rules(
        {
            Throttle.FAILED_LOGIN_PER_ACCOUNT: settings.limit_login_per_account,
            Throttle.FAILED_LOGIN_PER_ADDRESS: settings.limit_login_per_address,
            Throttle.REGISTRATION_PER_ADDRESS: settings.limit_register_per_address,
            Throttle.POST_PER_USER: settings.limit_posts_per_user,
        }
    )
    return LimitsRateLimiter(rules, settings.redis_url, settings.redis_key_prefix)


class Container(containers.DeclarativeContainer):
    settings = providers.Singleton(load_settings)
    database = providers.Singleton(make_database, settings)
    uow = providers.Factory(SqlUnitOfWork, database)  # use cases get `uow.provider`: a factory of UoWs
    read_uow = providers.Factory(read_only_unit_of_work, database)  # for use cases that only read
    argon2_hasher = providers.Singleton(_argon2_hasher, settings)
    hasher = providers.Singleton(_password_hasher, settings, argon2_hasher)  # timed when metrics are on
    clock = providers.Singleton(SystemClock)
    tokens = providers.Singleton(_token_service, settings, clock)
    rate_limiter = providers.Singleton(_rate_limiter, settings)

    register_user = providers.Factory(
        RegisterUser, new_uow=uow.provider, hasher=hasher, clock=clock, limiter=rate_limiter
    )
    get_user = providers.Factory(GetUser, new_read_uow=read_uow.provider)
    list_users = providers.Factory(ListUsers, new_read_uow=read_uow.provider)
    update_profile = providers.Factory(
        UpdateProfile, new_uow=uow.provider, hasher=hasher, limiter=rate_limiter
    )
    delete_account = providers.Factory(
        DeleteAccount, new_uow=uow.provider, hasher=hasher, limiter=rate_limiter
    )

    authenticate = providers.Factory(
        Authenticate, new_read_uow=read_uow.provider, hasher=hasher, tokens=tokens, limiter=rate_limiter
    )
    current_user = providers.Factory(CurrentUser, new_read_uow=read_uow.provider, tokens=tokens)
    sign_out_everywhere = providers.Factory(SignOutEverywhere, new_uow=uow.provider)

    create_post = providers.Factory(CreatePost, new_uow=uow.provider, clock=clock, limiter=rate_limiter)
    get_post = providers.Factory(GetPost, new_read_uow=read_uow.provider)
    list_posts = providers.Factory(ListPosts, new_read_uow=read_uow.provider)
    list_user_posts = providers.Factory(ListUserPosts, new_read_uow=read_uow.provider)
    update_post = providers.Factory(UpdatePost, new_uow=uow.provider, clock=clock)
    delete_post = providers.Factory(DeletePost, new_uow=uow.provider)

    idempotency = providers.Factory(Idempotency, new_uow=uow.provider, clock=clock)
