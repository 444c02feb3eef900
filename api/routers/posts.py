from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from api.dependencies import CurrentUser, caller_id, use_case
from api.pagination import link_next, page_request
from api.problems import problem_responses
from api.schemas.posts import PostCreate, PostDetail, PostRead, PostUpdate
from application.pagination import PageRequest
from application.posts import CreatePost, DeletePost, GetPost, ListPosts, PostEdit, UpdatePost
from domain.ids import ID_MAX

router = APIRouter(prefix="/posts", tags=["posts"])

PostId = Annotated[int, Path(ge=1, le=ID_MAX, description="The post's id")]


@router.post("", status_code=201, include_in_schema=False)  # both slash forms, no redirect
@router.post("/", status_code=201, responses=problem_responses(401, 422))
async def create_post(
    body: PostCreate, user: CurrentUser, create: Annotated[CreatePost, use_case("create_post")]
) -> PostRead:
    """Write a post as the caller."""
    return PostRead.from_entity(await create(caller_id(user), body.title, body.content))


@router.get("", include_in_schema=False)
@router.get("/", responses=problem_responses(422))
async def list_posts(
    request: Request,
    response: Response,
    page: Annotated[PageRequest, Depends(page_request)],
    list_posts: Annotated[ListPosts, use_case("list_posts")],
    author_id: Annotated[int | None, Query(ge=1, le=ID_MAX, description="Only this author's posts")] = None,
) -> list[PostRead]:
    """Posts in id order, paged with `Link: <…>; rel="next"`."""
    result = await list_posts(page, author_id)
    link_next(request, response, result, page.limit)
    return [PostRead.from_entity(post) for post in result.items]


@router.get("/{post_id}", responses=problem_responses(404, 422))
async def read_post(post_id: PostId, get_post: Annotated[GetPost, use_case("get_post")]) -> PostDetail:
    """One post with its author's id and name."""
    return PostDetail.from_read_model(await get_post(post_id))


@router.patch("/{post_id}", responses=problem_responses(401, 403, 404, 422))
async def update_post(
    post_id: PostId,
    body: PostUpdate,
    user: CurrentUser,
    update: Annotated[UpdatePost, use_case("update_post")],
) -> PostRead:
    """Change title and/or content; only the author may."""
    edited = await update(caller_id(user), post_id, PostEdit(title=body.title, content=body.content))
    return PostRead.from_entity(edited)


@router.delete("/{post_id}", status_code=204, responses=problem_responses(401, 403, 404, 422))
async def delete_post(
    post_id: PostId, user: CurrentUser, delete: Annotated[DeletePost, use_case("delete_post")]
) -> Response:
    """Delete a post; only the author may."""
    await delete(caller_id(user), post_id)
    return Response(status_code=204)
