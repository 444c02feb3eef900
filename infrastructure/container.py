"""The composition root: which adapter serves which port. Tests override providers to swap them."""

from dependency_injector import containers, providers

from application.users import GetUser, ListUsers, RegisterUser
from infrastructure.clock import SystemClock
from infrastructure.security import Argon2PasswordHasher
from infrastructure.settings import Settings
from infrastructure.sql.engine import make_engine, ping
from infrastructure.sql.unit_of_work import SqlUnitOfWork


class Container(containers.DeclarativeContainer):
    settings = providers.Singleton(Settings)
    engine = providers.Singleton(make_engine, settings)
    uow = providers.Singleton(SqlUnitOfWork.factory, engine)  # one callable making a UoW per use
    database_ping = providers.Callable(ping, engine)  # readiness: raises when the database is down
    hasher = providers.Singleton(Argon2PasswordHasher)
    clock = providers.Singleton(SystemClock)

    register_user = providers.Factory(RegisterUser, uow=uow, hasher=hasher, clock=clock)
    get_user = providers.Factory(GetUser, uow=uow)
    list_users = providers.Factory(ListUsers, uow=uow)
