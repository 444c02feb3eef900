"""Authentication use cases: log in, and resolve the caller of a request."""

from collections.abc import Callable
from dataclasses import dataclass

from application.ports import PasswordHasher, ReadUnitOfWork, TokenClaims, TokenService
from domain.errors import InvalidCredentials, ValidationError
from domain.users import Email, User


@dataclass(frozen=True, slots=True)
class Authenticate:
    """Exchange an email and password for an access token. A wrong email and a wrong password fail the
    same way and take the same time."""

    new_read_uow: Callable[[], ReadUnitOfWork]
    hasher: PasswordHasher
    tokens: TokenService

    async def __call__(self, email: str, password: str) -> str:
        try:
            user_email: Email | None = Email(email)
        except ValidationError:
            user_email = None
        user = None
        if user_email is not None:
            async with self.new_read_uow() as uow:
                user = await uow.users.get_by_email(user_email)
        password_hash = user.password_hash if user else None
        if not await self.hasher.verify(password, password_hash) or user is None or user.id is None:
            raise InvalidCredentials("Incorrect email or password")
        return self.tokens.issue(TokenClaims(user.id, user.credentials_stamp))


@dataclass(frozen=True, slots=True)
class CurrentUser:
    """The user an access token names; InvalidCredentials when the token is bad, the user is gone or
    has changed their password since the token was issued."""

    new_read_uow: Callable[[], ReadUnitOfWork]
    tokens: TokenService

    async def __call__(self, token: str | None) -> User:
        if not token:
            raise InvalidCredentials("Not authenticated")
        claims = self.tokens.read(token)
        async with self.new_read_uow() as uow:
            user = await uow.users.get(claims.user_id)
        if user is None or user.credentials_stamp != claims.stamp:
            raise InvalidCredentials("Could not validate credentials")
        return user
