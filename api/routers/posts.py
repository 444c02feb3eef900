from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from api.dependencies import Caller, UseCase, caller_id, public_url
from api.openapi.examples import POST_CREATE, POST_UPDATE, request_example, response_example
from api.openapi.problem_responses import BODY_PROBLEMS, problem_responses
from api.pagination import PageParams, page_response
from api.responses import JSONBytes
from api.routes import collection
from api.schemas.posts import PostCreate, PostDetail, PostRead, PostUpdate, post_detail_json, post_json
from application.posts import CreatePost, DeletePost, GetPost, ListPosts, PostEdit, UpdatePost
from domain.ids import ID_MAX

router = APIRouter(prefix="/posts", tags=["posts"])

PostId = Annotated[int, Path(ge=1, le=ID_MAX, description="The post's id")]


@collection(
    router.post,
    status_code=201,
    response_model=PostRead,
    name="create",
    summary="Write a post",
    responses=response_example(201, PostRead)
    | problem_responses(401, 429, *BODY_PROBLEMS, 503, instance="/posts/"),
    openapi_extra=request_example(POST_CREATE),
)
async def create_post(body: PostCreate, user: Caller, create: UseCase[CreatePost]) -> JSONBytes:
    """Write a post as the caller; each user may write a limited number per minute (429 beyond)."""
    post = await create(caller_id(user), body.title, body.content)
    return JSONBytes(post_json(post), status_code=201)


@collection(
    router.get,
    response_model=list[PostRead],
    name="list",
    summary="List posts",
    responses=response_example(200, PostRead, many=True) | problem_responses(422, 503, instance="/posts/"),
)
async def list_posts(
    request: Request,
    page: PageParams,
    list_posts: UseCase[ListPosts],
    author_id: Annotated[int | None, Query(ge=1, le=ID_MAX, description="Only this author's posts")] = None,
) -> JSONBytes:
    """Posts in id order, paged with `Link: <…>; rel="next"`."""
    posts = await list_posts(page, author_id)
    link_base = public_url(request)
    return page_response(
        posts, page.limit, post_json, path=request.url.path, public_url=link_base, author_id=author_id
    )


@router.get(
    "/{post_id}",
    response_model=PostDetail,
    name="get",
    summary="Get a post with its author",
    responses=response_example(200, PostDetail)
    | problem_responses(404, 422, 503, details={404: "Post not found"}, instance="/posts/7"),
)
async def read_post(post_id: PostId, get_post: UseCase[GetPost]) -> JSONBytes:
    """One post with its author's id and name."""
    return JSONBytes(post_detail_json(await get_post(post_id)))


@router.patch(
    "/{post_id}",
    response_model=PostRead,
    name="update",
    summary="Edit a post",
    responses=response_example(200, PostRead)
    | problem_responses(
        401, 403, 404, *BODY_PROBLEMS, 503, details={404: "Post not found"}, instance="/posts/7"
    ),
    openapi_extra=request_example(POST_UPDATE),
)
async def update_post(
    post_id: PostId,
    body: PostUpdate,
    user: Caller,
    update: UseCase[UpdatePost],
) -> JSONBytes:
    """Change title and/or content; only the author may."""
    edited = await update(caller_id(user), post_id, PostEdit(title=body.title, content=body.content))
    return JSONBytes(post_json(edited))


@router.delete(
    "/{post_id}",
    status_code=204,
    name="delete",
    summary="Delete a post",
    responses=problem_responses(
        401, 403, 404, 422, 503, details={404: "Post not found"}, instance="/posts/7"
    ),
)
async def delete_post(post_id: PostId, user: Caller, delete: UseCase[DeletePost]) -> Response:
    """Delete a post; only the author may."""
    await delete(caller_id(user), post_id)
    return Response(status_code=204)
