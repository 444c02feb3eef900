"""Post use cases: write, read, list, edit and delete posts. Only a post's author may change it."""

from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from typing import ClassVar, NoReturn

from application.errors import Raises, RateLimited
from application.events import POST_CREATED, POST_DELETED, POST_UPDATED
from application.idempotency import Completion
from application.lookups import existing_user, signed_in_user
from application.moderation import audit_deletion_by_another
from application.pagination import Page, PageRequest
from application.ports.audit import AuditAction
from application.ports.clock import Clock
from application.ports.posts import PostWithAuthor
from application.ports.throttling import NO_RATE_LIMIT, RateLimiter, Throttle
from application.ports.units_of_work import ReadUnitOfWork, UnitOfWork
from domain.errors import InvalidCredentials, PermissionDenied, ValidationError
from domain.moderation import MayNotDeletePost, check_may_delete_post
from domain.posts import NotTheAuthor, Post, PostChanged, PostNotFound
from domain.users import User, UserNotFound


class EmailNotVerified(PermissionDenied, message="Verify your email address before writing posts"):
    """APP_REQUIRE_VERIFIED_EMAIL: the author has not verified their email yet."""


@dataclass(frozen=True, slots=True)
class CreatePost:
    """Write a post; each author has a budget of posts per window. With `require_verified_email`
    (APP_REQUIRE_VERIFIED_EMAIL), only an author whose email is verified may. With a `completion` (an
    Idempotency-Key), its answer is stored in the same transaction as the post."""

    raises: ClassVar[Raises] = (ValidationError, UserNotFound, EmailNotVerified, RateLimited)

    new_uow: Callable[[], UnitOfWork]
    clock: Clock
    limiter: RateLimiter = NO_RATE_LIMIT
    require_verified_email: bool = False

    async def __call__(
        self,
        author_id: int,
        title: str,
        content: str,
        completion: Completion[Post] | None = None,
        *,
        author: User | None = None,
    ) -> Post:
        """`author`: the author as the caller's authentication has just read them (found, not
        suspended), which spares reading them again; a post of an author deleted since is refused by
        the repository's add (UserNotFound) all the same."""
        post = Post.write(author_id, title, content, self.clock.now())
        await self.limiter.hit(Throttle.POST_PER_USER, str(author_id))
        async with self.new_uow() as uow:
            if author is None or author.id != author_id:
                author = await existing_user(uow.users, author_id)
            if self.require_verified_email and not author.email_verified:
                raise EmailNotVerified()
            post = await uow.posts.add(post)
            await uow.events.add(POST_CREATED, post)
            if completion is not None:
                await completion(uow, post)
            await uow.commit()
        return post


@dataclass(frozen=True, slots=True)
class GetPost:
    """One post with its author's summary; NotFound("Post") when there is none."""

    raises: ClassVar[Raises] = (PostNotFound,)

    new_read_uow: Callable[[], ReadUnitOfWork]

    async def __call__(self, post_id: int) -> PostWithAuthor:
        async with self.new_read_uow() as uow:
            found = await uow.posts.get_with_author(post_id)
        if found is None:
            raise PostNotFound(post_id)
        return found


@dataclass(frozen=True, slots=True)
class ListPosts:
    """All posts, or one author's, in id order, one keyset page at a time."""

    raises: ClassVar[Raises] = ()

    new_read_uow: Callable[[], ReadUnitOfWork]

    async def __call__(self, page: PageRequest, author_id: int | None = None) -> Page[Post]:
        async with self.new_read_uow() as uow:
            return await uow.posts.list(page, author_id)


@dataclass(frozen=True, slots=True)
class ListUserPosts:
    """A user's posts; NotFound("User") for an unknown user, an empty page for one without posts."""

    raises: ClassVar[Raises] = (UserNotFound,)

    new_read_uow: Callable[[], ReadUnitOfWork]

    async def __call__(self, user_id: int, page: PageRequest) -> Page[Post]:
        async with self.new_read_uow() as uow:
            posts = await uow.posts.list(page, user_id)
            # A post's author exists (deleting a user deletes their posts): only an empty page leaves
            # the user to look up, so most pages take one statement, not two.
            if not posts.items and await uow.users.get_profile(user_id) is None:
                raise UserNotFound(user_id)
        return posts


@dataclass(frozen=True, slots=True)
class PostEdit:
    """New title and/or content; None keeps the current one."""

    title: str | None = None
    content: str | None = None


@dataclass(frozen=True, slots=True)
class UpdatePost:
    """Edit a post as its author. With `expected_versions`, only if the post is still at one of them
    (checked by the writing statement): PreconditionFailed otherwise, and nothing is written. The
    returned post carries its new version."""

    raises: ClassVar[Raises] = (ValidationError, PostNotFound, NotTheAuthor, PostChanged)

    new_uow: Callable[[], UnitOfWork]
    clock: Clock

    async def __call__(
        self, editor_id: int, post_id: int, edit: PostEdit, expected_versions: Collection[int] | None = None
    ) -> Post:
        async with self.new_uow() as uow:
            post = await _existing(uow, post_id)
            edited = post.edited(editor_id, self.clock.now(), edit.title, edit.content)
            version = await uow.posts.update(edited, if_version_in=expected_versions)
            if version is None:
                await _lost_to_another_write(uow, post_id)
            edited = replace(edited, version=version)
            await uow.events.add(POST_UPDATED, edited)
            await uow.commit()
        return edited


@dataclass(frozen=True, slots=True)
class DeletePost:
    """Delete a post: its author may, and so may moderators and admins, whose deletion of another's
    post is written to the audit log in the same transaction. With `expected_versions`, as UpdatePost."""

    raises: ClassVar[Raises] = (InvalidCredentials, PostNotFound, MayNotDeletePost, PostChanged)

    new_uow: Callable[[], UnitOfWork]
    clock: Clock

    async def __call__(
        self,
        caller_id: int,
        post_id: int,
        request_id: str | None = None,
        expected_versions: Collection[int] | None = None,
    ) -> None:
        async with self.new_uow() as uow:
            post = await _existing(uow, post_id)
            caller = await signed_in_user(uow.users, caller_id)
            check_may_delete_post(caller, post)
            if not await uow.posts.delete(post_id, if_version_in=expected_versions):
                await _lost_to_another_write(uow, post_id)
            await audit_deletion_by_another(
                uow,
                AuditAction.POST_DELETED,
                f"post:{post_id}",
                caller,
                post.author_id,
                self.clock.now(),
                request_id,
            )
            await uow.events.add(POST_DELETED, post)
            await uow.commit()


async def _existing(uow: UnitOfWork, post_id: int) -> Post:
    post = await uow.posts.get(post_id)
    if post is None:
        raise PostNotFound(post_id)
    return post


async def _lost_to_another_write(uow: UnitOfWork, post_id: int) -> NoReturn:
    """A conditional write wrote nothing: the post was deleted meanwhile, or is at another version."""
    await _existing(uow, post_id)
    raise PostChanged()
