"""Users: the entity, its value objects and the limits every layer reuses."""

import re
import secrets
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import datetime

from domain.errors import InvalidCredentials, NotFound, PermissionDenied, PreconditionFailed, ValidationError
from domain.roles import Role
from domain.text import has_control_characters, single_line

NAME_MAX_LENGTH = 100
EMAIL_MAX_LENGTH = 254  # RFC 5321 path limit
PASSWORD_MIN_LENGTH = 8
PASSWORD_MAX_LENGTH = 128
PASSWORD_HASH_MAX_LENGTH = 255
CREDENTIALS_STAMP_MAX_LENGTH = 32
SUSPENSION_REASON_MAX_LENGTH = 500

# Pragmatic address syntax: one "@", a dot-atom local part (internationalised addresses are accepted),
# and an ASCII (IDNA-encoded) domain of dot-separated labels ending in a letter-only or punycode TLD.
_LOCAL = r"[^\s@\"(),:;<>\[\]\\.]+(?:\.[^\s@\"(),:;<>\[\]\\.]+)*"
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_EMAIL_RE = re.compile(rf"{_LOCAL}@(?:{_LABEL}\.)+(?:[a-z]{{2,63}}|xn--[a-z0-9-]{{1,59}})")
STAMP_BYTES = 8


class UserNotFound(NotFound, entity="User"):
    """No user has this id (or email)."""


class UserChanged(PreconditionFailed, message="The user has changed since the version given"):
    """A conditional write of the user found another version: nothing was written."""


class WrongPassword(PermissionDenied, message="The current password is incorrect"):
    """The current password given to prove a change is not the user's."""


class IncorrectLogin(InvalidCredentials, message="Incorrect email or password"):
    """No account has this email and password (which of the two is wrong is not said)."""


@dataclass(frozen=True, slots=True)
class Email:
    """An email address in one spelling per mailbox: trimmed, Unicode-normalised with compatibility
    forms folded (NFKC: a decomposed "é" or a fullwidth letter is the plain one), lower-cased, and the
    domain IDNA-encoded (a Unicode domain equals its punycode)."""

    value: str

    def __post_init__(self) -> None:
        normalized = _normalize_email(self.value)
        if len(normalized) > EMAIL_MAX_LENGTH:
            raise ValidationError("email", f"email must be at most {EMAIL_MAX_LENGTH} characters")
        local = normalized.partition("@")[0]
        if len(local) > 64 or has_control_characters(normalized) or not _EMAIL_RE.fullmatch(normalized):
            raise ValidationError("email", "value is not a valid email address")
        object.__setattr__(self, "value", normalized)

    def __str__(self) -> str:
        return self.value

    @classmethod
    def trusted(cls, normalized: str) -> "Email":
        """An address validated and normalised before, e.g. read back from storage: not checked again."""
        email = object.__new__(cls)
        object.__setattr__(email, "value", normalized)
        return email


def _normalize_email(value: str) -> str:
    text = unicodedata.normalize("NFKC", value.strip()).lower()
    local, at, domain = text.rpartition("@")
    if not at or has_control_characters(text):
        return text  # refused by the caller's checks
    try:
        ascii_domain = domain.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise ValidationError("email", "value is not a valid email address") from None
    return f"{local}@{ascii_domain}"


def new_credentials_stamp() -> str:
    """A fresh random credentials stamp."""
    return secrets.token_hex(STAMP_BYTES)


def user_name(value: str) -> str:
    """A display name: trimmed, non-empty, one line, at most NAME_MAX_LENGTH characters."""
    return single_line("name", value, NAME_MAX_LENGTH)


# What a user edits about themselves (their email and password aside), each with the rule its value
# is checked and stored by.
PROFILE_RULES: dict[str, Callable[[str], str]] = {"name": user_name}


def checked_profile(changes: Mapping[str, str]) -> dict[str, str]:
    """Profile fields as stored, each through its rule (ValidationError when one breaks it)."""
    unknown = changes.keys() - PROFILE_RULES.keys()
    if unknown:
        raise ValidationError(min(unknown), f"{min(unknown)} is not a profile field")
    return {name: PROFILE_RULES[name](value) for name, value in changes.items()}


def check_password(password: str) -> None:
    """Raise ValidationError unless `password` has an acceptable length."""
    if not PASSWORD_MIN_LENGTH <= len(password) <= PASSWORD_MAX_LENGTH:
        raise ValidationError(
            "password",
            f"password must be {PASSWORD_MIN_LENGTH} to {PASSWORD_MAX_LENGTH} characters",
        )


@dataclass(frozen=True, slots=True)
class Suspension:
    """Why and since when an admin suspended a user: they cannot sign in until reinstated."""

    since: datetime
    reason: str  # who suspended them is in the audit log

    @classmethod
    def given(cls, reason: str, since: datetime) -> "Suspension":
        return cls(since=since, reason=suspension_reason(reason))


def suspension_reason(value: str) -> str:
    """A reason for a suspension: one line, non-empty, at most SUSPENSION_REASON_MAX_LENGTH."""
    return single_line("reason", value, SUSPENSION_REASON_MAX_LENGTH)


@dataclass(frozen=True, slots=True)
class PublicProfile:
    """What anyone may see of a user (no email, no role), with the version its entity tag names: what
    the public reads load, a third of a user's columns."""

    id: int
    name: str
    created_at: datetime
    version: int


@dataclass(slots=True, kw_only=True)
class User:
    """A registered user. `id` is None until a repository stores it."""

    id: int | None = None
    name: str
    email: Email
    password_hash: str
    created_at: datetime
    # Every access token carries the stamp current when it was issued; rotating the stamp (on a
    # password change, or signing out everywhere) revokes every token issued before.
    credentials_stamp: str = field(default_factory=new_credentials_stamp)
    # Grows with every write of the user: what its entity tag says, and what a conditional write compares.
    version: int = 1
    # When the owner proved they read mail at `email`; None until then, and again after a new email.
    email_verified_at: datetime | None = None
    # Sessions and roles (issue 17): what the user may do, and whether an admin suspended them.
    role: Role = Role.MEMBER
    suspension: Suspension | None = None

    def public_profile(self) -> PublicProfile:
        assert self.id is not None, "a stored user has a public profile"
        return PublicProfile(**{field.name: getattr(self, field.name) for field in fields(PublicProfile)})

    @property
    def suspended(self) -> bool:
        return self.suspension is not None

    @classmethod
    def register(cls, name: str, email: Email, password_hash: str, now: datetime) -> "User":
        return cls(name=user_name(name), email=email, password_hash=password_hash, created_at=now)

    def with_id(self, user_id: int) -> "User":
        return replace(self, id=user_id)

    def signed_out(self) -> "User":
        """This user with a new credentials stamp: every token issued before stops being accepted."""
        return replace(self, credentials_stamp=new_credentials_stamp())

    def changed(
        self, *, email: Email | None = None, password_hash: str | None = None, **profile: str
    ) -> "User":
        """This user with the given fields replaced (profile fields checked by their PROFILE_RULES). A
        new password rotates the credentials stamp; a new email is unverified."""
        new_email = email is not None and email != self.email
        user = replace(
            self,
            email=self.email if email is None else email,
            password_hash=self.password_hash if password_hash is None else password_hash,
            credentials_stamp=self.credentials_stamp if password_hash is None else new_credentials_stamp(),
            email_verified_at=None if new_email else self.email_verified_at,
        )
        for name, value in checked_profile(profile).items():
            setattr(user, name, value)
        return user

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    def verified(self, now: datetime) -> "User":
        """This user with their current email verified (the first verification time is kept)."""
        return replace(self, email_verified_at=self.email_verified_at or now)
