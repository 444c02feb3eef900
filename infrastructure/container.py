"""The composition root: which adapter serves which port. Tests override providers to swap them."""

from datetime import timedelta

from dependency_injector import containers, providers

from application.auth import Authenticate, CurrentUser
from application.posts import CreatePost, DeletePost, GetPost, ListPosts, ListUserPosts, UpdatePost
from application.users import DeleteAccount, GetUser, ListUsers, RegisterUser, UpdateProfile
from infrastructure.clock import SystemClock
from infrastructure.security import Argon2PasswordHasher, JwtTokenService
from infrastructure.settings import Settings, load_settings
from infrastructure.sql.engine import make_database
from infrastructure.sql.unit_of_work import SqlUnitOfWork, read_only_unit_of_work


def _token_service(settings: Settings, clock: SystemClock) -> JwtTokenService:
    return JwtTokenService(settings.jwt_secret, timedelta(minutes=settings.access_token_minutes), clock)


class Container(containers.DeclarativeContainer):
    settings = providers.Singleton(load_settings)
    database = providers.Singleton(make_database, settings)
    uow = providers.Factory(SqlUnitOfWork, database)  # use cases get `uow.provider`: a factory of UoWs
    read_uow = providers.Factory(read_only_unit_of_work, database)  # for use cases that only read
    hasher = providers.Singleton(Argon2PasswordHasher)
    clock = providers.Singleton(SystemClock)
    tokens = providers.Singleton(_token_service, settings, clock)

    register_user = providers.Factory(RegisterUser, new_uow=uow.provider, hasher=hasher, clock=clock)
    get_user = providers.Factory(GetUser, new_read_uow=read_uow.provider)
    list_users = providers.Factory(ListUsers, new_read_uow=read_uow.provider)
    update_profile = providers.Factory(UpdateProfile, new_uow=uow.provider, hasher=hasher)
    delete_account = providers.Factory(DeleteAccount, new_uow=uow.provider)

    authenticate = providers.Factory(
        Authenticate, new_read_uow=read_uow.provider, hasher=hasher, tokens=tokens
    )
    current_user = providers.Factory(CurrentUser, new_read_uow=read_uow.provider, tokens=tokens)

    create_post = providers.Factory(CreatePost, new_uow=uow.provider, clock=clock)
    get_post = providers.Factory(GetPost, new_read_uow=read_uow.provider)
    list_posts = providers.Factory(ListPosts, new_read_uow=read_uow.provider)
    list_user_posts = providers.Factory(ListUserPosts, new_read_uow=read_uow.provider)
    update_post = providers.Factory(UpdatePost, new_uow=uow.provider, clock=clock)
    delete_post = providers.Factory(DeletePost, new_uow=uow.provider)
