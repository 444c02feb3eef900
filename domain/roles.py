"""Roles: what a user may do beyond their own account and posts."""

from enum import StrEnum

ROLE_MAX_LENGTH = 16


class Role(StrEnum):
    """`member` (everyone, by default), `moderator` (removes any post) or `admin` (also suspends and
    reinstates users and changes roles)."""

    MEMBER = "member"
    MODERATOR = "moderator"
    ADMIN = "admin"
