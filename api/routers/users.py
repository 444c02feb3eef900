from typing import Annotated

from fastapi import Path, Request, Response

from api.dependencies import UseCase, client_address, use_case_of
from api.http.conditional import IF_NONE_MATCH_DOCUMENTED, entity_tag, tagged_read
from api.http.idempotency import AtMostOnceDep
from api.http.pagination import After, Limit, page_response
from api.http.responses import JSONBytes, created
from api.openapi.examples import NOT_MODIFIED, USER_CREATE, request_example, response_example
from api.openapi.problem_responses import BODY, IDEMPOTENT, IF_NONE_MATCH, PARAMETERS, problem_responses
from api.routes import api_router, collection
from api.schemas.posts import PostRead, post_json
from api.schemas.users import UserCreate, UserPublic, UserRead, public_user_json, user_json
from application.pagination import DEFAULT_PAGE_SIZE, PageRequest
from application.posts import ListUserPosts
from application.users import GetUser, ListUsers, RegisterUser
from domain.ids import ID_MAX

router = api_router(prefix="/users", tags=["users"])

UserId = Annotated[int, Path(ge=1, le=ID_MAX, description="The user's id")]

_get_user = use_case_of(GetUser)
_list_users = use_case_of(ListUsers)
_list_user_posts = use_case_of(ListUserPosts)


@collection(
    router.post,
    status_code=201,
    response_model=UserRead,
    name="create",
    summary="Register a user",
    responses=response_example(201, UserRead, tagged=True)
    | problem_responses(RegisterUser, IDEMPOTENT, BODY, instance="/users/"),
    openapi_extra=request_example(USER_CREATE),
)
async def create_user(
    request: Request, body: UserCreate, register: UseCase[RegisterUser], once: AtMostOnceDep
) -> Response:
    """Register a user. The email is unique in any spelling (letter case, Unicode form, IDNA domain).
    The answer is the owner's view, with the email; each client address may register a limited number
    of users per hour (429 beyond). With `Idempotency-Key` (scoped to the client address), a retry gets
    the first answer."""
    client = client_address(request)
    return await once(
        f"address:{client}",
        body,
        lambda completion: register(body.name, body.email, body.password, client, completion),
        lambda user: created(
            request, f"/users/{user.id}", user_json(user), entity_tag(user.id, user.version)
        ),
    )


@collection(
    router.get,
    response_model=list[UserPublic],
    name="list",
    summary="List users",
    responses=response_example(200, UserPublic, many=True)
    | problem_responses(ListUsers, PARAMETERS, instance="/users/"),
)
async def list_users(request: Request, limit: Limit = DEFAULT_PAGE_SIZE, after: After = 0) -> JSONBytes:
    """Public profiles (no email) in id order. Follow the `Link: <…>; rel="next"` header for the next
    page."""
    users = await _list_users(request)(PageRequest(limit, after))
    return page_response(users, limit, public_user_json, request)


@router.get(
    "/{user_id}",
    response_model=UserPublic,
    name="get",
    summary="Get a user",
    responses=response_example(200, UserPublic, tagged=True)
    | NOT_MODIFIED
    | problem_responses(GetUser, IF_NONE_MATCH, PARAMETERS, instance="/users/1"),
    openapi_extra=IF_NONE_MATCH_DOCUMENTED,
)
async def read_user(request: Request, user_id: UserId) -> Response:
    """A public profile (no email) and its `ETag`; 404 for an unknown id."""
    user = await _get_user(request)(user_id)
    return tagged_read(request, user_id, user.version, lambda: public_user_json(user))


@router.get(
    "/{user_id}/posts",
    response_model=list[PostRead],
    name="posts-list",
    summary="List a user's posts",
    responses=response_example(200, PostRead, many=True)
    | problem_responses(ListUserPosts, PARAMETERS, instance="/users/1/posts"),
)
async def list_user_posts(
    user_id: UserId,
    request: Request,
    limit: Limit = DEFAULT_PAGE_SIZE,
    after: After = 0,
) -> JSONBytes:
    """The user's posts in id order, paged like `GET /users/`; 404 for an unknown user."""
    posts = await _list_user_posts(request)(user_id, PageRequest(limit, after))
    return page_response(posts, limit, post_json, request)
