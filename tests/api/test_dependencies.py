"""Routers reach use cases through `UseCase[X]`, resolved from the container's provider of X: each
resolves to the type it declares, and a type the container does not build fails at import."""

import pytest
from dependency_injector import providers
from fastapi import FastAPI, Request

import api.dependencies as dependencies
from infrastructure.container import Container

USE_CASES = {
    name: provider.cls
    for name, provider in Container.cls_providers.items()
    if isinstance(provider, providers.Factory) and provider.cls.__module__.startswith("application.")
}


def test_every_use_case_provider_has_an_alias() -> None:
    assert len(USE_CASES) >= 12


@pytest.mark.parametrize("name", sorted(USE_CASES))
async def test_alias_resolves_to_its_declared_type(name: str, app: FastAPI) -> None:
    declared = USE_CASES[name]
    request = Request({"type": "http", "app": app})
    assert isinstance(await dependencies.use_case(declared)(request), declared)


@pytest.mark.parametrize("name", sorted(USE_CASES))
def test_a_plain_resolver_builds_its_declared_type(name: str, app: FastAPI) -> None:
    declared = USE_CASES[name]
    request = Request({"type": "http", "app": app})
    assert isinstance(dependencies.use_case_of(declared)(request), declared)


def test_a_type_the_container_does_not_build_has_no_plain_resolver() -> None:
    with pytest.raises(LookupError):
        dependencies.use_case_of(Request)


def test_a_provider_foreign_to_the_container_is_refused_at_import() -> None:
    with pytest.raises(LookupError):
        dependencies.provide(providers.Factory(object))


def test_a_type_the_container_does_not_build_is_refused_at_import() -> None:
    with pytest.raises(LookupError):
        dependencies.use_case(Request)


def test_a_misspelled_provider_fails_at_import() -> None:
    with pytest.raises(AttributeError):
        Container.get_usr  # type: ignore[attr-defined]  # noqa: B018
