from typing import Annotated

from fastapi import APIRouter, Path, Request

from api.dependencies import GetUserDep, ListUserPostsDep, ListUsersDep, RegisterUserDep, client_address
from api.examples import USER_CREATE, request_example, response_example
from api.pagination import PageParams, page_response
from api.problems import BODY_PROBLEMS, problem_responses
from api.responses import JSONBytes
from api.routes import collection
from api.schemas.posts import PostRead, post_json
from api.schemas.users import UserCreate, UserPublic, UserRead, public_user_json, user_json
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
async def create_user(request: Request, body: UserCreate, register: RegisterUserDep) -> JSONBytes:
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
async def list_users(request: Request, page: PageParams, list_users: ListUsersDep) -> JSONBytes:
    """Public profiles (no email) in id order. Follow the `Link: <…>; rel="next"` header for the next
    page."""
    return page_response(request, await list_users(page), page.limit, public_user_json)


@router.get(
    "/{user_id}",
    response_model=UserPublic,
    name="get",
    summary="Get a user",
    responses=response_example(200, UserPublic)
    | problem_responses(404, 422, 503, details={404: "User not found"}, instance="/users/1"),
)
async def read_user(user_id: UserId, get_user: GetUserDep) -> JSONBytes:
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
    list_user_posts: ListUserPostsDep,
) -> JSONBytes:
    """The user's posts in id order, paged like `GET /users/`; 404 for an unknown user."""
    return page_response(request, await list_user_posts(user_id, page), page.limit, post_json)
