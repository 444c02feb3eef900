from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response

from api.dependencies import use_case
from api.pagination import link_next, page_request
from api.problems import problem_responses
from api.schemas.posts import PostRead
from api.schemas.users import UserCreate, UserRead
from application.pagination import PageRequest
from application.posts import ListUserPosts
from application.users import GetUser, ListUsers, RegisterUser
from domain.ids import ID_MAX

router = APIRouter(prefix="/users", tags=["users"])

UserId = Annotated[int, Path(ge=1, le=ID_MAX, description="The user's id")]
Page = Annotated[PageRequest, Depends(page_request)]


@router.post("", status_code=201, include_in_schema=False)  # both slash forms, no redirect
@router.post("/", status_code=201, responses=problem_responses(409, 422))
async def create_user(
    body: UserCreate, register: Annotated[RegisterUser, use_case("register_user")]
) -> UserRead:
    """Register a user. The email is unique in any letter case."""
    user = await register(body.name, body.email, body.password)
    return UserRead.from_entity(user)


@router.get("", include_in_schema=False)
@router.get("/", responses=problem_responses(422))
async def list_users(
    request: Request,
    response: Response,
    page: Page,
    list_users: Annotated[ListUsers, use_case("list_users")],
) -> list[UserRead]:
    """Users in id order. Follow the `Link: <…>; rel="next"` header for the next page."""
    result = await list_users(page)
    link_next(request, response, result, page.limit)
    return [UserRead.from_entity(user) for user in result.items]


@router.get("/{user_id}", responses=problem_responses(404, 422))
async def read_user(user_id: UserId, get_user: Annotated[GetUser, use_case("get_user")]) -> UserRead:
    return UserRead.from_entity(await get_user(user_id))


@router.get("/{user_id}/posts", responses=problem_responses(404, 422))
async def list_user_posts(
    user_id: UserId,
    request: Request,
    response: Response,
    page: Page,
    list_user_posts: Annotated[ListUserPosts, use_case("list_user_posts")],
) -> list[PostRead]:
    """The user's posts in id order, paged like `GET /users/`; 404 for an unknown user."""
    result = await list_user_posts(user_id, page)
    link_next(request, response, result, page.limit)
    return [PostRead.from_entity(post) for post in result.items]
