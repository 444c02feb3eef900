"""Routers reach use cases through `UseCase[X]`, resolved from the container's provider of X: each
resolves to the type it declares, and a type the container does not build fails at import. The
container wires each use case by the names of its fields."""

from dataclasses import dataclass

import pytest
from dependency_injector import providers
from fastapi import FastAPI, Request

import api.dependencies as dependencies
from application.ports.clock import Clock
from infrastructure.container import Container, Wiring

USE_CASES = {
    f"{group}.{key}": getattr(factory, "cls")  # noqa: B009 - a Factory's, not on Provider's type
    for group, provider in Container.cls_providers.items()
    if isinstance(provider, providers.Aggregate)
    for key, factory in provider.providers.items()
}


def test_every_use_case_is_registered_under_its_class_name() -> None:
    assert len(USE_CASES) >= 28
    assert all(name.endswith(f".{kind.__name__}") for name, kind in USE_CASES.items())


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


def test_a_use_case_is_wired_by_its_fields_names_and_refused_when_one_has_no_provider() -> None:
    @dataclass(frozen=True)
    class Wired:
        clock: Clock
        retries: int = 3

    @dataclass(frozen=True)
    class Unwired:
        clock: Clock
        mystery: str

    clock = providers.Object(object())
    wire = Wiring(clock=clock)
    built = wire(Wired).Wired()
    assert (built.clock, built.retries) == (clock(), 3)
    with pytest.raises(LookupError, match=r"Unwired\.mystery"):
        wire(Unwired)


def test_a_type_the_container_does_not_build_is_refused_at_import() -> None:
    with pytest.raises(LookupError):
        dependencies.use_case(Request)


def test_a_misspelled_provider_fails_at_import() -> None:
    with pytest.raises(AttributeError):
        Container.get_usr  # type: ignore[attr-defined]  # noqa: B018
