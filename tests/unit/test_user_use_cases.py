import pytest

from application.pagination import PageRequest
from application.users import GetUser, ListUsers, RegisterUser
from domain.errors import EmailAlreadyRegistered, NotFound, ValidationError
from infrastructure.memory import InMemoryUnitOfWork, MemoryStore
from tests.factories import UserFactory, id_of
from tests.fakes import FakeHasher, FixedClock


@pytest.fixture
def register(uow_factory, hasher: FakeHasher, clock: FixedClock) -> RegisterUser:
    return RegisterUser(new_uow=uow_factory, hasher=hasher, clock=clock)


async def test_registering_stores_the_user_with_a_hash_not_the_password(
    register: RegisterUser, store: MemoryStore, clock: FixedClock, hasher: FakeHasher
) -> None:
    user = await register("  Ada  ", " Ada@Example.com", "long enough")

    assert user.id is not None
    assert (user.name, user.email.value, user.created_at) == ("Ada", "ada@example.com", clock.now())
    assert user.password_hash != "long enough"
    assert await hasher.verify("long enough", user.password_hash)
    assert store.users == {user.id: user}


async def test_registering_a_taken_email_in_another_case_is_refused(
    register: RegisterUser, store: MemoryStore
) -> None:
    await register("Ada", "ada@example.com", "long enough")

    with pytest.raises(EmailAlreadyRegistered):
        await register("Ada 2", "ADA@example.com", "long enough")

    assert len(store.users) == 1


@pytest.mark.parametrize(
    ("name", "email", "password", "field"),
    [
        ("   ", "ada@example.com", "long enough", "name"),
        ("Ada", "not-an-email", "long enough", "email"),
        ("Ada", "ada@example.com", "short", "password"),
    ],
)
async def test_invalid_registrations_store_nothing(
    register: RegisterUser, store: MemoryStore, name: str, email: str, password: str, field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        await register(name, email, password)
    assert caught.value.field == field
    assert store.users == {}


async def test_get_user_returns_the_registered_user(register: RegisterUser, uow_factory) -> None:
    user = await register("Ada", "ada@example.com", "long enough")
    assert await GetUser(uow_factory)(id_of(user)) == user.public_profile()


async def test_get_unknown_user_raises_not_found(uow_factory) -> None:
    with pytest.raises(NotFound) as caught:
        await GetUser(uow_factory)(42)
    assert caught.value.message == "User not found"


async def test_list_users_walks_keyset_pages_in_id_order(register: RegisterUser, uow_factory) -> None:
    registered = [await register(f"U{i}", f"u{i}@example.com", "long enough") for i in range(5)]
    list_users = ListUsers(uow_factory)

    first = await list_users(PageRequest(limit=2))
    assert first.next_cursor is not None
    second = await list_users(PageRequest(limit=2, after=first.next_cursor))
    assert second.next_cursor is not None
    last = await list_users(PageRequest(limit=2, after=second.next_cursor))

    assert [*first.items, *second.items, *last.items] == [user.public_profile() for user in registered]
    assert last.next_cursor is None


async def test_list_page_that_ends_exactly_at_the_last_user_has_no_next_cursor(
    register: RegisterUser, uow_factory
) -> None:
    for i in range(2):
        await register(f"U{i}", f"u{i}@example.com", "long enough")
    page = await ListUsers(uow_factory)(PageRequest(limit=2))
    assert len(page.items) == 2
    assert page.next_cursor is None


@pytest.mark.parametrize(("limit", "after"), [(0, 0), (101, 0), (10, -1)])
def test_page_request_limits(limit: int, after: int) -> None:
    with pytest.raises(ValidationError):
        PageRequest(limit=limit, after=after)


async def test_uncommitted_changes_are_dropped(store: MemoryStore) -> None:
    async with InMemoryUnitOfWork(store) as uow:
        await uow.users.add(UserFactory())
    assert store.users == {}
