"""Routers reach use cases through typed dependencies: each alias resolves to the type it declares."""

import typing

import pytest
from dependency_injector import providers
from fastapi import FastAPI, Request

import api.dependencies as dependencies
from infrastructure.container import Container

ALIASES = {
    name: alias
    for name, alias in vars(dependencies).items()
    if name.endswith("Dep") and typing.get_origin(alias) is typing.Annotated
}


def test_every_use_case_provider_has_an_alias() -> None:
    assert len(ALIASES) >= 12


@pytest.mark.parametrize("name", sorted(ALIASES))
async def test_alias_resolves_to_its_declared_type(name: str, app: FastAPI) -> None:
    declared, marker = typing.get_args(ALIASES[name])
    request = Request({"type": "http", "app": app})
    assert isinstance(await marker.dependency(request), declared)


def test_a_provider_foreign_to_the_container_is_refused_at_import() -> None:
    with pytest.raises(LookupError):
        dependencies.provide(providers.Factory(object))


def test_a_misspelled_provider_fails_at_import() -> None:
    with pytest.raises(AttributeError):
        Container.get_usr  # type: ignore[attr-defined]  # noqa: B018
