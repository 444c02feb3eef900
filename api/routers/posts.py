from typing import Annotated

from fastapi import Path, Query, Request, Response

from api.dependencies import (
    Caller,
    UseCase,
    caller_id,
    request_id,
    use_case_of,
)
from api.http.conditional import (
    IfMatchHeader,
    entity_tag,
    expected_versions,
    tagged_read,
)
from api.http.idempotency import IdempotencyKey, at_most_once
from api.http.pagination import After, Limit, page_response
from api.http.responses import JSONBytes, created
from api.openapi.examples import POST_CREATE, POST_UPDATE, request_example
from api.openapi.problem_responses import (
    AUTHENTICATED,
    BODY,
    IDEMPOTENT,
    IF_MATCH,
    PARAMETERS,
    problem_responses,
)
from api.routes import answers, api_router, collection
from api.schemas.posts import PostCreate, PostDetail, PostRead, PostUpdate, post_detail_json, post_json
from application.pagination import DEFAULT_PAGE_SIZE, PageRequest
from application.posts import CreatePost, DeletePost, GetPost, ListPosts, PostEdit, UpdatePost
from domain.ids import ID_MAX
from domain.posts import Post

router = api_router(prefix="/posts", tags=["posts"])

PostId = Annotated[int, Path(ge=1, le=ID_MAX, description="The post's id")]

_create_post = use_case_of(CreatePost)
_update_post = use_case_of(UpdatePost)
_get_post = use_case_of(GetPost)
_list_posts = use_case_of(ListPosts)


def post_tag(post: Post) -> str:
    """A post's entity tag: its version, and its comment count (api.http.conditional)."""
    return entity_tag(post.id, post.version, post.comment_count)


@collection(
    router.post,
    status_code=201,
    name="create",
    summary="Write a post",
    **answers(
        PostRead, CreatePost, AUTHENTICATED, IDEMPOTENT, BODY, instance="/posts/", status=201, tagged=True
    ),
    openapi_extra=request_example(POST_CREATE),
)
async def create_post(
    request: Request, body: PostCreate, user: Caller, idempotency_key: IdempotencyKey = None
) -> Response:
    """Write a post as the caller; each user may write a limited number per minute (429 beyond). With
    APP_REQUIRE_VERIFIED_EMAIL, only a caller whose email is verified may (403 otherwise). With
    `Idempotency-Key`, a retry gets the first answer and writes no second post."""
    # The use case and the idempotency by plain calls, as the reads build theirs: each dependency
    # costs FastAPI's solving on every create. The caller stays one: authentication comes before the
    # body's validation (a 401, not a 422, for an anonymous request with a bad body).
    author, create = caller_id(user), _create_post(request)
    return await at_most_once(request, idempotency_key)(
        f"user:{author}",
        body,
        lambda completion: create(author, body.title, body.content, completion, author=user),
        lambda post: created(request, f"/posts/{post.id}", post_json(post), post_tag(post)),
    )


@collection(
    router.get,
    name="list",
    summary="List posts",
    **answers(PostRead, ListPosts, PARAMETERS, instance="/posts/", many=True),
)
async def list_posts(
    request: Request,
    limit: Limit = DEFAULT_PAGE_SIZE,
    after: After = 0,
    author_id: Annotated[int | None, Query(ge=1, le=ID_MAX, description="Only this author's posts")] = None,
) -> JSONBytes:
    """Posts in id order, paged with `Link: <…>; rel="next"`."""
    posts = await _list_posts(request)(PageRequest(limit, after), author_id)
    return page_response(posts, limit, post_json, request, author_id=author_id)


@router.get(
    "/{post_id}",
    name="get",
    summary="Get a post with its author",
    **answers(PostDetail, GetPost, PARAMETERS, instance="/posts/7", conditional=True),
)
async def read_post(request: Request, post_id: PostId) -> Response:
    """One post with its author's id and name, and its `ETag`: with `If-None-Match` naming it, a 304."""
    found = await _get_post(request)(post_id)
    post = found.post
    return tagged_read(request, post_id, post.version, lambda: post_detail_json(found), post.comment_count)


@router.patch(
    "/{post_id}",
    name="update",
    summary="Edit a post",
    **answers(PostRead, UpdatePost, AUTHENTICATED, IF_MATCH, BODY, instance="/posts/7", tagged=True),
    openapi_extra=request_example(POST_UPDATE),
)
async def update_post(
    request: Request, post_id: PostId, body: PostUpdate, user: Caller, if_match: IfMatchHeader
) -> JSONBytes:
    """Change title and/or content; only the author may. With `If-Match`, only if the post is still at
    that version (412 otherwise, nothing written)."""
    edit = PostEdit(title=body.title, content=body.content)
    update = _update_post(request)  # a plain call: one dependency fewer for FastAPI to solve
    edited = await update(caller_id(user), post_id, edit, expected_versions(if_match, post_id))
    return JSONBytes(post_json(edited), headers={"ETag": post_tag(edited)})


@router.delete(
    "/{post_id}",
    status_code=204,
    name="delete",
    summary="Delete a post",
    responses=problem_responses(DeletePost, AUTHENTICATED, IF_MATCH, PARAMETERS, instance="/posts/7"),
    openapi_extra={"x-required-role": "the post's author, or moderator, or admin"},
)
async def delete_post(
    post_id: PostId, user: Caller, delete: UseCase[DeletePost], if_match: IfMatchHeader
) -> Response:
    """Delete a post: its author may, and so may moderators and admins (whose deletions of others'
    posts are written to the audit log). With `If-Match`, only if it is still at that version."""
    await delete(caller_id(user), post_id, request_id(), expected_versions(if_match, post_id))
    return Response(status_code=204)
