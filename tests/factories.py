"""factory-boy factories: domain entities and API payloads."""

from datetime import UTC, datetime

import factory

from domain.users import Email, User


class UserFactory(factory.Factory):
    """A domain User not yet stored (id None)."""

    class Meta:
        model = User

    id = None
    name = factory.Sequence(lambda n: f"User {n}")
    email = factory.Sequence(lambda n: Email(f"user{n}@example.com"))
    password_hash = "fake-hash:drowssap"
    created_at = factory.LazyFunction(lambda: datetime(2026, 1, 1, tzinfo=UTC))


class UserCreatePayload(factory.DictFactory):
    """A valid POST /users/ body."""

    name = factory.Sequence(lambda n: f"User {n}")
    email = factory.Sequence(lambda n: f"user{n}@example.com")
    password = "correct horse battery"
