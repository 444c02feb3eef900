"""Users: the entity, its value objects and the limits every layer reuses."""

import hashlib
import re
from dataclasses import dataclass, replace
from datetime import datetime

from domain.errors import ValidationError
from domain.text import has_control_characters, single_line

NAME_MAX_LENGTH = 100
EMAIL_MAX_LENGTH = 254  # RFC 5321 path limit
PASSWORD_MIN_LENGTH = 8
PASSWORD_MAX_LENGTH = 128
PASSWORD_HASH_MAX_LENGTH = 255

# Pragmatic address syntax: one "@", a dot-atom local part, and a domain of dot-separated labels
# ending in a letter-only TLD of two or more characters. Internationalised addresses are accepted.
_LOCAL = r"[^\s@\"(),:;<>\[\]\\.]+(?:\.[^\s@\"(),:;<>\[\]\\.]+)*"
_LABEL = r"[^\W_](?:[\w-]{0,61}[^\W_])?"
_EMAIL_RE = re.compile(rf"{_LOCAL}@(?:{_LABEL}\.)+[^\W\d_]{{2,63}}")


@dataclass(frozen=True, slots=True)
class Email:
    """An email address, trimmed and lower-cased: two spellings of one address are equal."""

    value: str

    def __post_init__(self) -> None:
        normalized = self.value.strip().lower()
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


def user_name(value: str) -> str:
    """A display name: trimmed, non-empty, one line, at most NAME_MAX_LENGTH characters."""
    return single_line("name", value, NAME_MAX_LENGTH)


def check_password(password: str) -> None:
    """Raise ValidationError unless `password` has an acceptable length."""
    if not PASSWORD_MIN_LENGTH <= len(password) <= PASSWORD_MAX_LENGTH:
        raise ValidationError(
            "password",
            f"password must be {PASSWORD_MIN_LENGTH} to {PASSWORD_MAX_LENGTH} characters",
        )


@dataclass(slots=True, kw_only=True)
class User:
    """A registered user. `id` is None until a repository stores it."""

    id: int | None = None
    name: str
    email: Email
    password_hash: str
    created_at: datetime

    @classmethod
    def register(cls, name: str, email: Email, password_hash: str, now: datetime) -> "User":
        return cls(name=user_name(name), email=email, password_hash=password_hash, created_at=now)

    def with_id(self, user_id: int) -> "User":
        return replace(self, id=user_id)

    @property
    def credentials_stamp(self) -> str:
        """Changes whenever the password does: credentials issued before a change carry the old one and
        stop being accepted. Derived from the hash, never revealing it."""
        return hashlib.sha256(self.password_hash.encode()).hexdigest()[:16]

    def changed(
        self, name: str | None = None, email: Email | None = None, password_hash: str | None = None
    ) -> "User":
        """This user with the given fields replaced (the name checked by the domain's rules)."""
        return replace(
            self,
            name=self.name if name is None else user_name(name),
            email=self.email if email is None else email,
            password_hash=self.password_hash if password_hash is None else password_hash,
        )
