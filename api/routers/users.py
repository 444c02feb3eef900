from typing import Annotated

from fastapi import APIRouter, Path, Request

from api.dependencies import UseCase, client_address, public_url
from api.openapi.examples import USER_CREATE, request_example, response_example
from api.openapi.problem_responses import BODY_PROBLEMS, problem_responses
from api.pagination import PageParams, page_response
from api.responses import JSONBytes
from api.routes import collection
from api.schemas.posts import PostRead, post_json
from api.schemas.users import UserCreate, UserPublic, UserRead, public_user_json, user_json
from application.posts import ListUserPosts
from application.users import GetUser, ListUsers, RegisterUser
from domain.ids import ID_MAX

router = APIRouter(prefix="/users", tags=["users"])

UserId = Annotated[int, Path(ge=1, le=ID_MAX, description="The user's id")]


@collection(
    router.post,
    status_code=201,
    response_model=UserRead,
    name="create",
    summary="Register a user",
    responses=response_example(201, UserRead)
    | problem_responses(409, 429, *BODY_PROBLEMS, 503, instance="/users/"),
    openapi_extra=request_example(USER_CREATE),
)
async def create_user(request: Request, body: UserCreate, register: UseCase[RegisterUser]) -> JSONBytes:
    """Register a user. The email is unique in any spelling (letter case, Unicode form, IDNA domain).
    The answer is the owner's view, with the email; each client address may register a limited number
    of users per hour (429 beyond)."""
    user = await register(body.name, body.email, body.password, client_address(request))
    return JSONBytes(user_json(user), status_code=201)


@collection(
    router.get,
    response_model=list[UserPublic],
    name="list",
    summary="List users",
    responses=response_example(200, UserPublic, many=True) | problem_responses(422, 503, instance="/users/"),
)
async def list_users(request: Request, page: PageParams, list_users: UseCase[ListUsers]) -> JSONBytes:
    """Public profiles (no email) in id order. Follow the `Link: <…>; rel="next"` header for the next
    page."""
    users = await list_users(page)
    return page_response(
        users, page.limit, public_user_json, path=request.url.path, public_url=public_url(request)
    )


@router.get(
    "/{user_id}",
    response_model=UserPublic,
    name="get",
    summary="Get a user",
    responses=response_example(200, UserPublic)
    | problem_responses(404, 422, 503, details={404: "User not found"}, instance="/users/1"),
)
async def read_user(user_id: UserId, get_user: UseCase[GetUser]) -> JSONBytes:
    """A public profile (no email); 404 for an unknown id."""
    return JSONBytes(public_user_json(await get_user(user_id)))


@router.get(
    "/{user_id}/posts",
    response_model=list[PostRead],
    name="posts-list",
    summary="List a user's posts",
    responses=response_example(200, PostRead, many=True)
    | problem_responses(404, 422, 503, details={404: "User not found"}, instance="/users/1/posts"),
)
async def list_user_posts(
    user_id: UserId,
    request: Request,
    page: PageParams,
    list_user_posts: UseCase[ListUserPosts],
) -> JSONBytes:
    """The user's posts in id order, paged like `GET /users/`; 404 for an unknown user."""
    posts = await list_user_posts(user_id, page)
    return page_response(posts, page.limit, post_json, path=request.url.path, public_url=public_url(request))
