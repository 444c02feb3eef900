"""Who may do what to whom: the rules of roles, ownership and suspension, as pure functions. Each
`check_…` raises PermissionDenied with the reason, or returns."""

from domain.comments import Comment
from domain.errors import PermissionDenied
from domain.posts import Post
from domain.roles import Role
from domain.users import User

MODERATING_ROLES = frozenset({Role.MODERATOR, Role.ADMIN})


class MayNotDeletePost(
    PermissionDenied, message="Only the author of a post, a moderator or an admin may delete it"
):
    """Neither the post's author, nor a moderator or an admin."""


class AdminRequired(PermissionDenied, message="This needs the admin role"):
    """An admin route, asked by someone who is not an admin (or is suspended)."""


class CannotManageSelf(PermissionDenied, message="Admins cannot change their own role or suspension"):
    """An admin changing their own role or suspension: the last admin stays one."""


def may_delete_post(actor: User, post: Post) -> bool:
    """An author deletes their own posts; moderators and admins delete any post."""
    return actor.id == post.author_id or actor.role in MODERATING_ROLES


def check_may_delete_post(actor: User, post: Post) -> None:
    if not may_delete_post(actor, post):
        raise MayNotDeletePost()


class MayNotDeleteComment(
    PermissionDenied, message="Only the author of a comment, a moderator or an admin may delete it"
):
    """Neither the comment's author, nor a moderator or an admin."""


def may_delete_comment(actor: User, comment: Comment) -> bool:
    """An author deletes their own comments; moderators and admins delete any comment."""
    return actor.id == comment.author_id or actor.role in MODERATING_ROLES


def check_may_delete_comment(actor: User, comment: Comment) -> None:
    if not may_delete_comment(actor, comment):
        raise MayNotDeleteComment()


def check_is_admin(actor: User) -> None:
    """Admin routes (the user list, the audit log) are for admins only."""
    if actor.role is not Role.ADMIN or actor.suspended:
        raise AdminRequired()


def check_may_manage(actor: User, target: User) -> None:
    """Admins suspend, reinstate and change the role of users other than themselves: an admin never
    demotes or suspends themselves, so the last admin stays one."""
    check_is_admin(actor)
    if actor.id == target.id:
        raise CannotManageSelf()
