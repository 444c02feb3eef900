"""Comment use cases: write, read, list, edit and delete the comments under a post. Only a comment's
author may change it; its author, moderators and admins may delete it. Each post's `comment_count` is
kept by the comment repository in the transaction that adds or removes a comment."""

from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from typing import ClassVar, NoReturn

from application.errors import Raises, RateLimited
from application.events import COMMENT_CREATED, COMMENT_DELETED, COMMENT_UPDATED
from application.idempotency import Completion
from application.lookups import existing_user, signed_in_user
from application.moderation import audit_deletion_by_another
from application.pagination import Page, PageRequest
from application.ports.audit import AuditAction
from application.ports.clock import Clock
from application.ports.comments import Commenter, CommentWithAuthor
from application.ports.throttling import NO_RATE_LIMIT, RateLimiter, Throttle
from application.ports.units_of_work import ReadUnitOfWork, UnitOfWork
from application.posts import EmailNotVerified
from domain.comments import Comment, CommentChanged, CommentNotFound, NotTheCommentAuthor
from domain.errors import AccountSuspended, InvalidCredentials, ValidationError
from domain.moderation import MayNotDeleteComment, check_may_delete_comment
from domain.posts import PostNotFound
from domain.users import UserNotFound


class EmailNotVerifiedToComment(
    EmailNotVerified, message="Verify your email address before writing comments"
):
    """APP_REQUIRE_VERIFIED_EMAIL: the commenter has not verified their email yet (the problem of a
    post's author who has not, with its own message)."""


@dataclass(frozen=True, slots=True)
class CreateComment:
    """Write a comment under a post as the caller, and count it on the post. Each user has a budget of
    comments per window; a suspended user may not comment; with `require_verified_email`
    (APP_REQUIRE_VERIFIED_EMAIL), only a user whose email is verified may. With a `completion` (an
    Idempotency-Key), its answer is stored in the same transaction as the comment."""

    raises: ClassVar[Raises] = (
        ValidationError,
        PostNotFound,
        UserNotFound,
        AccountSuspended,
        EmailNotVerifiedToComment,
        RateLimited,
    )

    new_uow: Callable[[], UnitOfWork]
    clock: Clock
    limiter: RateLimiter = NO_RATE_LIMIT
    require_verified_email: bool = False

    async def __call__(
        self,
        author_id: int,
        post_id: int,
        body: str,
        completion: Completion[CommentWithAuthor] | None = None,
    ) -> CommentWithAuthor:
        comment = Comment.write(post_id, author_id, body, self.clock.now())
        await self.limiter.hit(Throttle.COMMENT_PER_USER, str(author_id))
        async with self.new_uow() as uow:
            author = await existing_user(uow.users, author_id)
            if author.suspended:
                raise AccountSuspended()
            if self.require_verified_email and not author.email_verified:
                raise EmailNotVerifiedToComment()
            comment = await uow.comments.add(comment)
            await uow.events.add(COMMENT_CREATED, comment)
            written = CommentWithAuthor(comment, Commenter(author_id, author.name))
            if completion is not None:
                await completion(uow, written)
            await uow.commit()
        return written


@dataclass(frozen=True, slots=True)
class GetComment:
    """One comment with its author's summary; NotFound("Comment") when there is none."""

    raises: ClassVar[Raises] = (CommentNotFound,)

    new_read_uow: Callable[[], ReadUnitOfWork]

    async def __call__(self, comment_id: int) -> CommentWithAuthor:
        async with self.new_read_uow() as uow:
            found = await uow.comments.get_with_author(comment_id)
        if found is None:
            raise CommentNotFound(comment_id)
        return found


@dataclass(frozen=True, slots=True)
class ListComments:
    """The comments under a post, oldest first, one keyset page at a time; NotFound("Post") for an
    unknown post, an empty page for one without (more) comments."""

    raises: ClassVar[Raises] = (PostNotFound,)

    new_read_uow: Callable[[], ReadUnitOfWork]

    async def __call__(self, post_id: int, page: PageRequest) -> Page[CommentWithAuthor]:
        async with self.new_read_uow() as uow:
            comments = await uow.comments.list_under(post_id, page)
            # A comment's post exists (deleting a post deletes its comments): only an empty page leaves
            # the post to look up, so most pages take one statement, not two.
            if not comments.items and await uow.posts.get(post_id) is None:
                raise PostNotFound(post_id)
        return comments


@dataclass(frozen=True, slots=True)
class UpdateComment:
    """Edit a comment as its author. With `expected_versions`, only if the comment is still at one of
    them (checked by the writing statement): PreconditionFailed otherwise, and nothing is written. The
    returned comment carries its new version."""

    raises: ClassVar[Raises] = (ValidationError, CommentNotFound, NotTheCommentAuthor, CommentChanged)

    new_uow: Callable[[], UnitOfWork]
    clock: Clock

    async def __call__(
        self,
        editor_id: int,
        comment_id: int,
        body: str,
        expected_versions: Collection[int] | None = None,
    ) -> CommentWithAuthor:
        async with self.new_uow() as uow:
            found = await uow.comments.get_with_author(comment_id)
            if found is None:
                raise CommentNotFound(comment_id)
            edited = found.comment.edited(editor_id, self.clock.now(), body)
            version = await uow.comments.update(edited, if_version_in=expected_versions)
            if version is None:
                await _lost_to_another_write(uow, comment_id)
            edited = replace(edited, version=version)
            await uow.events.add(COMMENT_UPDATED, edited)
            await uow.commit()
        return CommentWithAuthor(edited, found.author)


@dataclass(frozen=True, slots=True)
class DeleteComment:
    """Delete a comment and uncount it on its post: its author may, and so may moderators and admins,
    whose deletion of another's comment is written to the audit log in the same transaction. With
    `expected_versions`, as UpdateComment."""

    raises: ClassVar[Raises] = (InvalidCredentials, CommentNotFound, MayNotDeleteComment, CommentChanged)

    new_uow: Callable[[], UnitOfWork]
    clock: Clock

    async def __call__(
        self,
        caller_id: int,
        comment_id: int,
        request_id: str | None = None,
        expected_versions: Collection[int] | None = None,
    ) -> None:
        async with self.new_uow() as uow:
            comment = await _existing(uow, comment_id)
            caller = await signed_in_user(uow.users, caller_id)
            check_may_delete_comment(caller, comment)
            if not await uow.comments.delete(comment_id, if_version_in=expected_versions):
                await _lost_to_another_write(uow, comment_id)
            await audit_deletion_by_another(
                uow,
                AuditAction.COMMENT_DELETED,
                f"comment:{comment_id}",
                caller,
                comment.author_id,
                self.clock.now(),
                request_id,
                f"; post:{comment.post_id}",
            )
            await uow.events.add(COMMENT_DELETED, comment)
            await uow.commit()


async def _existing(uow: UnitOfWork, comment_id: int) -> Comment:
    comment = await uow.comments.get(comment_id)
    if comment is None:
        raise CommentNotFound(comment_id)
    return comment


async def _lost_to_another_write(uow: UnitOfWork, comment_id: int) -> NoReturn:
    """A conditional write wrote nothing: the comment was deleted meanwhile, or is at another version."""
    await _existing(uow, comment_id)
    raise CommentChanged()
