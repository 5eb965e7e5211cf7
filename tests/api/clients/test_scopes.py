"""SMART system scope grammar: what a grant covers, and what a token keeps under a new grant.

The oracle spells every scope out as the concrete (resource, access) pairs it allows."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from api.auth.clients import scopes

PAIRS = [(r, a) for r in scopes.RESOURCES for a in scopes.ACCESS]
ANY_SCOPE = st.builds(
    lambda r, a: f"system/{r}.{a}",
    st.sampled_from(["*", *scopes.RESOURCES]),
    st.sampled_from(["*", *scopes.ACCESS]),
)


def allowed(texts: list[str] | frozenset[str]) -> set[tuple[str, str]]:
    out = set()
    for text in texts:
        resource, access = text.removeprefix("system/").split(".")
        out |= {(r, a) for r, a in PAIRS if resource in ("*", r) and access in ("*", a)}
    return out


@given(st.lists(ANY_SCOPE, max_size=4), ANY_SCOPE)
def test_covered_means_every_pair_is_granted(grant: list[str], wanted: str) -> None:
    assert scopes.covered(grant, wanted) == (allowed([wanted]) <= allowed(grant))


@given(st.lists(ANY_SCOPE, max_size=4), st.lists(ANY_SCOPE, max_size=4))
def test_intersection_allows_exactly_what_both_allow(first: list[str], second: list[str]) -> None:
    assert allowed(scopes.intersection(first, second)) == allowed(first) & allowed(second)


@pytest.mark.parametrize(
    "text", ["user/Slot.read", "system/Slot", "system/Invoice.read", "system/Slot.rs", ""]
)
def test_what_is_not_a_system_scope_is_refused(text: str) -> None:
    with pytest.raises(scopes.ScopeError):
        scopes.parse(text)


def test_grants_are_stored_sorted_without_repeats() -> None:
    assert scopes.normalized(["system/Slot.read", "system/*.read", "system/Slot.read"]) == [
        "system/*.read",
        "system/Slot.read",
    ]
