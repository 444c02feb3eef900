"""Comments: under a post (`/posts/{post_id}/comments`), and each at `/comments/{comment_id}`."""

from typing import Annotated

from fastapi import Path, Request, Response

from api.dependencies import Caller, UseCase, caller_id, request_id, use_case_of
from api.http.conditional import IfMatchHeader, entity_tag, expected_versions, tagged_read
from api.http.idempotency import AtMostOnceDep
from api.http.pagination import After, Limit, page_response
from api.http.responses import JSONBytes, created
from api.openapi.examples import COMMENT_CREATE, COMMENT_UPDATE, request_example
from api.openapi.problem_responses import (
    AUTHENTICATED,
    BODY,
    IDEMPOTENT,
    IF_MATCH,
    PARAMETERS,
    problem_responses,
)
from api.routes import answers, api_router
from api.schemas.comments import CommentCreate, CommentRead, CommentUpdate, comment_json
from application.comments import CreateComment, DeleteComment, GetComment, ListComments, UpdateComment
from application.pagination import DEFAULT_PAGE_SIZE, PageRequest
from application.ports.comments import CommentWithAuthor
from domain.ids import ID_MAX

router = api_router(tags=["comments"])

PostId = Annotated[int, Path(ge=1, le=ID_MAX, description="The post's id")]
CommentId = Annotated[int, Path(ge=1, le=ID_MAX, description="The comment's id")]

_get_comment = use_case_of(GetComment)
_list_comments = use_case_of(ListComments)


def _tag(found: CommentWithAuthor) -> str:
    return entity_tag(found.comment.id, found.comment.version)


@router.post(
    "/posts/{post_id}/comments",
    status_code=201,
    name="create",
    summary="Comment on a post",
    **answers(
        CommentRead,
        CreateComment,
        AUTHENTICATED,
        IDEMPOTENT,
        BODY,
        instance="/posts/7/comments",
        status=201,
        tagged=True,
    ),
    openapi_extra=request_example(COMMENT_CREATE),
)
async def create_comment(
    request: Request,
    post_id: PostId,
    body: CommentCreate,
    user: Caller,
    create: UseCase[CreateComment],
    once: AtMostOnceDep,
) -> Response:
    """Write a comment under the post as the caller; each user may write a limited number per minute
    (429 beyond); a suspended user may not (403), nor, with APP_REQUIRE_VERIFIED_EMAIL, one whose email
    is not verified. With `Idempotency-Key`, a retry gets the first answer and writes no second comment."""
    author = caller_id(user)
    return await once(
        f"user:{author}",
        body,
        lambda completion: create(author, post_id, body.body, completion),
        lambda found: created(request, f"/comments/{found.comment.id}", comment_json(found), _tag(found)),
    )


@router.get(
    "/posts/{post_id}/comments",
    name="list",
    summary="List a post's comments",
    **answers(CommentRead, ListComments, PARAMETERS, instance="/posts/7/comments", many=True),
)
async def list_comments(
    request: Request, post_id: PostId, limit: Limit = DEFAULT_PAGE_SIZE, after: After = 0
) -> JSONBytes:
    """The post's comments, oldest first, each with its author's id and name, paged with
    `Link: <…>; rel="next"`; 404 for an unknown post."""
    comments = await _list_comments(request)(post_id, PageRequest(limit, after))
    return page_response(comments, limit, comment_json, request)


@router.get(
    "/comments/{comment_id}",
    name="get",
    summary="Get a comment",
    **answers(CommentRead, GetComment, PARAMETERS, instance="/comments/9", conditional=True),
)
async def read_comment(request: Request, comment_id: CommentId) -> Response:
    """One comment with its author, and its `ETag`: with `If-None-Match` naming it, a 304."""
    found = await _get_comment(request)(comment_id)
    return tagged_read(request, comment_id, found.comment.version, lambda: comment_json(found))


@router.patch(
    "/comments/{comment_id}",
    name="update",
    summary="Edit a comment",
    **answers(CommentRead, UpdateComment, AUTHENTICATED, IF_MATCH, BODY, instance="/comments/9", tagged=True),
    openapi_extra=request_example(COMMENT_UPDATE),
)
async def update_comment(
    comment_id: CommentId,
    body: CommentUpdate,
    user: Caller,
    update: UseCase[UpdateComment],
    if_match: IfMatchHeader,
) -> JSONBytes:
    """Change the body; only the author may. With `If-Match`, only if the comment is still at that
    version (412 otherwise, nothing written)."""
    edited = await update(caller_id(user), comment_id, body.body, expected_versions(if_match, comment_id))
    return JSONBytes(comment_json(edited), headers={"ETag": _tag(edited)})


@router.delete(
    "/comments/{comment_id}",
    status_code=204,
    name="delete",
    summary="Delete a comment",
    responses=problem_responses(DeleteComment, AUTHENTICATED, IF_MATCH, PARAMETERS, instance="/comments/9"),
    openapi_extra={"x-required-role": "the comment's author, or moderator, or admin"},
)
async def delete_comment(
    comment_id: CommentId, user: Caller, delete: UseCase[DeleteComment], if_match: IfMatchHeader
) -> Response:
    """Delete a comment: its author may, and so may moderators and admins (whose deletions of others'
    comments are written to the audit log). With `If-Match`, only if it is still at that version."""
    await delete(caller_id(user), comment_id, request_id(), expected_versions(if_match, comment_id))
    return Response(status_code=204)
