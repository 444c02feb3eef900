from typing import Annotated

from fastapi import Path, Request, Response

from api.dependencies import UseCase, client_address, use_case_of
from api.http.conditional import entity_tag, tagged_read
from api.http.idempotency import AtMostOnceDep
from api.http.pagination import After, Limit, page_response
from api.http.responses import JSONBytes, created
from api.openapi.examples import USER_CREATE, request_example
from api.openapi.problem_responses import BODY, IDEMPOTENT, PARAMETERS
from api.routes import answers, api_router, collection
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
    name="create",
    summary="Register a user",
    **answers(UserRead, RegisterUser, IDEMPOTENT, BODY, instance="/users/", status=201, tagged=True),
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
    name="list",
    summary="List users",
    **answers(UserPublic, ListUsers, PARAMETERS, instance="/users/", many=True),
)
async def list_users(request: Request, limit: Limit = DEFAULT_PAGE_SIZE, after: After = 0) -> JSONBytes:
    """Public profiles (no email) in id order. Follow the `Link: <…>; rel="next"` header for the next
    page."""
    users = await _list_users(request)(PageRequest(limit, after))
    return page_response(users, limit, public_user_json, request)


@router.get(
    "/{user_id}",
    name="get",
    summary="Get a user",
    **answers(UserPublic, GetUser, PARAMETERS, instance="/users/1", conditional=True),
)
async def read_user(request: Request, user_id: UserId) -> Response:
    """A public profile (no email) and its `ETag`; 404 for an unknown id."""
    user = await _get_user(request)(user_id)
    return tagged_read(request, user_id, user.version, lambda: public_user_json(user))


@router.get(
    "/{user_id}/posts",
    name="posts-list",
    summary="List a user's posts",
    **answers(PostRead, ListUserPosts, PARAMETERS, instance="/users/1/posts", many=True),
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
