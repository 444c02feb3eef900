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
from infrastructure.sql.unit_of_work import SqlUnitOfWork


def _token_service(settings: Settings, clock: SystemClock) -> JwtTokenService:
    return JwtTokenService(settings.jwt_secret, timedelta(minutes=settings.access_token_minutes), clock)


class Container(containers.DeclarativeContainer):
    settings = providers.Singleton(load_settings)
    database = providers.Singleton(make_database, settings)
    uow = providers.Singleton(SqlUnitOfWork.factory, database)  # one callable making a UoW per use
    hasher = providers.Singleton(Argon2PasswordHasher)
    clock = providers.Singleton(SystemClock)
    tokens = providers.Singleton(_token_service, settings, clock)

    register_user = providers.Factory(RegisterUser, uow=uow, hasher=hasher, clock=clock)
    get_user = providers.Factory(GetUser, uow=uow)
    list_users = providers.Factory(ListUsers, uow=uow)
    update_profile = providers.Factory(UpdateProfile, uow=uow, hasher=hasher)
    delete_account = providers.Factory(DeleteAccount, uow=uow)

    authenticate = providers.Factory(Authenticate, uow=uow, hasher=hasher, tokens=tokens)
    current_user = providers.Factory(CurrentUser, uow=uow, tokens=tokens)

    create_post = providers.Factory(CreatePost, uow=uow, clock=clock)
    get_post = providers.Factory(GetPost, uow=uow)
    list_posts = providers.Factory(ListPosts, uow=uow)
    list_user_posts = providers.Factory(ListUserPosts, uow=uow)
    update_post = providers.Factory(UpdatePost, uow=uow, clock=clock)
    delete_post = providers.Factory(DeletePost, uow=uow)
