"""Whom a template slot reserves time for: ``TemplateSlot.applies_to`` and ``applies_to_part``."""

from __future__ import annotations

from datetime import time

import pytest

from solver.problem import LocalBlock, ResourceKind, TemplateSlot

CHAIR, PROVIDER, ROOM = ResourceKind.CHAIR, ResourceKind.PROVIDER, ResourceKind.ROOM


def slot(chair: str | None = None, provider: str | None = None) -> TemplateSlot:
    return TemplateSlot(
        "s1",
        0,
        LocalBlock(time(9), time(12)),
        frozenset({"adj"}),
        chair_id=chair,
        provider_id=provider,
    )


class TestAppliesTo:
    @pytest.mark.parametrize(
        ("kind", "rid", "expected"),
        [(CHAIR, "c1", True), (CHAIR, "c2", False), (PROVIDER, "p1", False), (ROOM, "c1", False)],
    )
    def test_a_slot_naming_a_chair_applies_to_that_chair_only(
        self, kind: ResourceKind, rid: str, expected: bool
    ) -> None:
        assert slot(chair="c1").applies_to(kind, rid) is expected

    @pytest.mark.parametrize(
        ("kind", "rid", "expected"),
        [(PROVIDER, "p1", True), (PROVIDER, "p2", False), (CHAIR, "c1", False)],
    )
    def test_a_slot_naming_a_provider_applies_to_that_provider_only(
        self, kind: ResourceKind, rid: str, expected: bool
    ) -> None:
        assert slot(provider="p1").applies_to(kind, rid) is expected

    def test_a_slot_naming_both_applies_to_each_of_them(self) -> None:
        both = slot(chair="c1", provider="p1")
        assert both.applies_to(CHAIR, "c1") and both.applies_to(PROVIDER, "p1")
        assert not both.applies_to(CHAIR, "c2") and not both.applies_to(PROVIDER, "p2")

    def test_a_slot_naming_no_one_applies_to_every_chair_and_provider_but_no_room(self) -> None:
        clinic_wide = slot()
        assert clinic_wide.applies_to(CHAIR, "any chair")
        assert clinic_wide.applies_to(PROVIDER, "any provider")
        assert not clinic_wide.applies_to(ROOM, "scanner room")


class TestAppliesToPart:
    def test_through_the_chair_or_the_provider_of_the_part(self) -> None:
        both = slot(chair="c1", provider="p1")
        assert both.applies_to_part(["p1", "c9"])
        assert both.applies_to_part(["p9", "c1"])
        assert not both.applies_to_part(["p9", "c9"])

    def test_a_slot_naming_no_one_applies_to_every_part(self) -> None:
        assert slot().applies_to_part([])
        assert slot().applies_to_part(["scanner room"])

    def test_a_named_slot_never_applies_to_a_part_holding_nothing(self) -> None:
        assert not slot(provider="p1").applies_to_part([])
