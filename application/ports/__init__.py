"""Ports: what the use cases need from the outside world, as Protocols the adapters implement, grouped
by concern in the modules of this package and all importable from here."""

from application.ports.clock import Clock
from application.ports.idempotency import IdempotencyRecords
from application.ports.recovery import (
    Mailer,
    MailMessage,
    OneTimeToken,
    OneTimeTokenStore,
    Outbox,
    OutgoingMail,
    TokenPurpose,
)
from application.ports.security import IssuedToken, PasswordHasher, TokenClaims, TokenService
from application.ports.sessions import (
    AdministeredUsers,
    AuditAction,
    AuditEntry,
    AuditLog,
    AuditReader,
    SessionReader,
    SessionReadUnitOfWork,
    SessionStore,
    SessionUnitOfWork,
    UserAdministration,
)
from application.ports.storage import (
    AuthorSummary,
    PostReader,
    PostRepository,
    PostWithAuthor,
    ReadUnitOfWork,
    UnitOfWork,
    UserReader,
    UserRepository,
)
from application.ports.throttling import NO_RATE_LIMIT, RateLimiter, Throttle, Unlimited

__all__ = [
    "NO_RATE_LIMIT",
    "AdministeredUsers",
    "AuditAction",
    "AuditEntry",
    "AuditLog",
    "AuditReader",
    "AuthorSummary",
    "Clock",
    "IdempotencyRecords",
    "IssuedToken",
    "MailMessage",
    "Mailer",
    "OneTimeToken",
    "OneTimeTokenStore",
    "Outbox",
    "OutgoingMail",
    "PasswordHasher",
    "PostReader",
    "PostRepository",
    "PostWithAuthor",
    "RateLimiter",
    "ReadUnitOfWork",
    "SessionReadUnitOfWork",
    "SessionReader",
    "SessionStore",
    "SessionUnitOfWork",
    "Throttle",
    "TokenClaims",
    "TokenPurpose",
    "TokenService",
    "UnitOfWork",
    "Unlimited",
    "UserAdministration",
    "UserReader",
    "UserRepository",
]
