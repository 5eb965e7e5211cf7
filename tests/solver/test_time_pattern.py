"""Time patterns: validation, duration changes and provider runs."""

from __future__ import annotations

import pytest

from solver.errors import InvalidQuery
from solver.time_pattern import check_pattern, fit_to_duration, provider_held, provider_runs


class TestCheckPattern:
    def test_accepts_a_pattern_one_step_per_five_minutes(self) -> None:
        check_pattern("AADA", 20)

    def test_assistant_only_pattern_is_valid(self) -> None:
        check_pattern("AAAA", 20)

    def test_wrong_length_names_both_lengths(self) -> None:
        with pytest.raises(InvalidQuery, match=r"has 3 steps but .* 20 minutes needs 4"):
            check_pattern("ADA", 20)

    def test_unknown_characters_are_named(self) -> None:
        with pytest.raises(InvalidQuery, match="found 'X'"):
            check_pattern("AXDA", 20)


class TestFitToDuration:
    def test_lengthening_adds_assistant_time_at_the_end(self) -> None:
        assert fit_to_duration("AADA", 30) == "AADAAA"

    def test_shortening_removes_trailing_assistant_time(self) -> None:
        assert fit_to_duration("ADAA", 10) == "AD"

    def test_a_duration_ending_inside_the_last_provider_step_keeps_it(self) -> None:
        # 17 minutes need 4 steps, so "AAAD" is a valid pattern for a 17-minute default.
        check_pattern("AAAD", 17)
        assert fit_to_duration("AAAD", 17) == "AAAD"
        assert provider_runs("AAAD", 17) == ((15, 17),)
        with pytest.raises(InvalidQuery, match="needed until 0:20"):
            fit_to_duration("AAAD", 15)

    def test_cutting_provider_time_is_refused_with_where_it_is_needed(self) -> None:
        with pytest.raises(InvalidQuery, match="needed until 0:15"):
            fit_to_duration("AADA", 10)


class TestProviderRuns:
    def test_no_pattern_is_the_whole_appointment(self) -> None:
        assert provider_runs(None, 25) == ((0, 25),)

    def test_runs_are_maximal(self) -> None:
        assert provider_runs("ADDAAD", 30) == ((5, 15), (25, 30))

    def test_assistant_only_needs_no_provider(self) -> None:
        assert provider_runs("AAAA", 20) == ()

    def test_runs_are_clipped_to_a_duration_that_is_not_a_whole_step(self) -> None:
        assert provider_runs("AAAAD", 22) == ((20, 22),)


class TestProviderHeld:
    def test_without_a_pattern_the_provider_is_held_with_the_buffers(self) -> None:
        assert provider_held(None, 20, 5, 10) == ((-5, 30),)

    def test_with_a_pattern_only_the_provider_runs_are_held(self) -> None:
        assert provider_held("AADA", 20, 5, 10) == ((10, 15),)
