"""The domain's rules of roles, moderation and session lifetimes, without any adapter."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from domain.errors import PermissionDenied, ValidationError
from domain.moderation import check_is_admin, check_may_delete_post, check_may_manage, may_delete_post
from domain.roles import Role
from domain.sessions import (
    RefreshToken,
    Session,
    SessionLifetimes,
    new_refresh_token,
    refresh_token_hash,
    well_formed_refresh_token,
)
from domain.users import Suspension
from tests.factories import PostFactory, UserFactory

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)
LIFETIMES = SessionLifetimes(
    absolute=timedelta(days=30), idle=timedelta(days=7), reuse_grace=timedelta(seconds=10)
)


def user(user_id: int, role: Role = Role.MEMBER, suspended: bool = False):
    suspension = Suspension.given("spam", NOW) if suspended else None
    return UserFactory(id=user_id, role=role, suspension=suspension)


def test_a_new_user_is_a_member_and_not_suspended() -> None:
    fresh = UserFactory()
    assert (fresh.role, fresh.suspended) == (Role.MEMBER, False)


@pytest.mark.parametrize(
    ("actor", "allowed"),
    [
        (user(1), True),  # the author
        (user(2), False),  # another member
        (user(2, Role.MODERATOR), True),
        (user(2, Role.ADMIN), True),
    ],
)
def test_authors_moderators_and_admins_delete_posts_and_no_one_else(actor, allowed: bool) -> None:
    post = PostFactory(id=7, author_id=1)
    assert may_delete_post(actor, post) is allowed
    if allowed:
        check_may_delete_post(actor, post)
    else:
        with pytest.raises(PermissionDenied):
            check_may_delete_post(actor, post)


@pytest.mark.parametrize("actor", [user(1), user(1, Role.MODERATOR), user(1, Role.ADMIN, suspended=True)])
def test_only_an_active_admin_administers(actor) -> None:
    with pytest.raises(PermissionDenied):
        check_is_admin(actor)
    with pytest.raises(PermissionDenied):
        check_may_manage(actor, user(2))


def test_an_admin_manages_others_but_never_themselves() -> None:
    admin = user(1, Role.ADMIN)
    check_is_admin(admin)
    check_may_manage(admin, user(2, Role.ADMIN))
    with pytest.raises(PermissionDenied, match="their own"):
        check_may_manage(admin, user(1, Role.ADMIN))


@pytest.mark.parametrize("reason", ["", "   ", "two\nlines", "x" * 501])
def test_a_suspension_needs_a_one_line_reason(reason: str) -> None:
    with pytest.raises(ValidationError):
        Suspension.given(reason, NOW)


def test_a_session_lives_until_idle_for_too_long_or_its_absolute_end() -> None:
    session = Session.start(1, NOW, LIFETIMES, "10.0.0.1", "agent")
    assert session.expires_at == NOW + timedelta(days=30)
    assert session.is_live(NOW + timedelta(days=7) - timedelta(seconds=1), LIFETIMES)
    assert not session.is_live(NOW + timedelta(days=7), LIFETIMES)  # idle

    used = replace(session, last_used_at=NOW + timedelta(days=25))
    assert used.is_live(NOW + timedelta(days=29), LIFETIMES)
    assert used.live_until(LIFETIMES) == NOW + timedelta(days=30)  # capped by the absolute end
    assert not used.is_live(NOW + timedelta(days=30), LIFETIMES)


def test_a_session_keeps_bounded_client_details() -> None:
    session = Session.start(1, NOW, LIFETIMES, "a" * 100, "b" * 1000)
    assert (len(session.client_address), len(session.user_agent)) == (64, 255)


def test_a_rotated_token_again_is_reuse_only_after_the_grace() -> None:
    current = RefreshToken("h", "s", NOW)
    rotated = RefreshToken("h", "s", NOW, rotated_at=NOW)
    assert not current.is_reuse(NOW + timedelta(days=1), LIFETIMES)
    assert not rotated.is_reuse(NOW + timedelta(seconds=10), LIFETIMES)  # a concurrent refresh
    assert rotated.is_reuse(NOW + timedelta(seconds=11), LIFETIMES)


def test_refresh_tokens_are_random_and_stored_as_sha256() -> None:
    tokens = {new_refresh_token() for _ in range(100)}
    assert len(tokens) == 100
    token = tokens.pop()
    assert len(token) >= 43  # 256 bits in URL-safe base64
    assert well_formed_refresh_token(token)
    assert refresh_token_hash(token) != token
    assert len(refresh_token_hash(token)) == 64
    for malformed in ["", "short", "x" * 129, "has space in it........", "é" * 20]:
        assert not well_formed_refresh_token(malformed)
