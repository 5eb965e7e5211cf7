"""/metrics (api/core/metrics.py): what an operator's Prometheus reads after real requests.

Counts live in the process's default registry, shared by every test in the run, so each test
reads the exposition before and after its requests and asserts the difference.
"""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from pydantic import ValidationError

from api.auth.lockout import FAILURES_PER_ACCOUNT_AND_ADDRESS
from api.config import Settings
from api.core import metrics
from api.main import create_app
from tests.api.booking.conftest import Clinic, book, clinic  # noqa: F401  (fixture)
from tests.support.passwords import cheap_passwords  # noqa: F401  (fixture)

Labels = dict[str, str]


def scrape(client: TestClient) -> str:
    resp = client.get("/metrics")
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("text/plain")
    return resp.text


def value(text: str, sample: str, **labels: str) -> float:
    """The sample's value where every given label matches (summed), 0 when absent."""
    total = 0.0
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == sample and all(s.labels.get(k) == v for k, v in labels.items()):
                total += s.value
    return total


def delta(before: str, after: str, sample: str, **labels: str) -> float:
    return value(after, sample, **labels) - value(before, sample, **labels)


def label_values(text: str, sample: str, label: str) -> set[str]:
    return {
        s.labels[label]
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == sample and label in s.labels
    }


def metrics_app(settings: Settings) -> FastAPI:
    return create_app(settings.model_copy(update={"metrics": "on"}))


def test_metrics_are_not_served_unless_switched_on(client: TestClient) -> None:
    resp = client.get("/metrics")
    assert resp.status_code == 404
    assert "slotwise_http_requests_total" not in resp.text


def test_the_setting_refuses_a_mode_it_does_not_know() -> None:
    with pytest.raises(ValidationError, match="off, on or port:NNNN"):
        Settings(SLOTWISE_METRICS="public")
    assert Settings(SLOTWISE_METRICS="port:9464").metrics_port == 9464
    assert Settings(SLOTWISE_METRICS="on").metrics_route


def test_requests_are_counted_by_route_template_and_status(
    settings: Settings,
    clinic: Clinic,  # noqa: F811
) -> None:
    with TestClient(metrics_app(settings)) as client:
        before = scrape(client)
        patient_id = clinic.patients[0].id
        for _ in range(3):
            resp = client.get(f"/api/patients/{patient_id}", headers=clinic.headers())
            assert resp.status_code == 200
        assert client.get("/api/patients/no-such-patient", headers=clinic.headers()).status_code
        assert client.get(f"/nothing/here/{patient_id}").status_code == 404
        after = scrape(client)

    route = "/api/patients/{patient_id}"
    count = "slotwise_http_requests_total"
    assert delta(before, after, count, route=route, status="200") == 3
    assert delta(before, after, count, route=route, status="404") == 1
    assert delta(before, after, count, route="unmatched", status="404") == 1
    latency = "slotwise_http_request_duration_seconds_count"
    assert delta(before, after, latency, route=route, method="GET", status="200") == 3
    # Labels hold templates only: no patient id, no raw path, anywhere in the exposition.
    assert patient_id not in after
    assert all(r.startswith("/") or r == "unmatched" for r in label_values(after, count, "route"))
    # The scrape itself is not counted.
    assert "/metrics" not in label_values(after, count, "route")


def test_engine_and_database_time_are_recorded(
    settings: Settings,
    clinic: Clinic,  # noqa: F811
) -> None:
    with TestClient(metrics_app(settings)) as client:
        before = scrape(client)
        resp = client.get(
            "/api/booking/availability",
            params={
                "from": clinic.iso(0),
                "to": clinic.iso(23, 59),
                "appointmentTypeId": clinic.adj.id,
            },
            headers=clinic.headers(),
        )
        assert resp.status_code == 200, resp.text
        assert book(client, clinic).status_code == 201
        after = scrape(client)

    engine = "slotwise_engine_duration_seconds_count"
    for operation in ("availability", "validate"):
        assert value(after, engine, operation=operation) > value(
            before, engine, operation=operation
        )
    queries = "slotwise_db_query_duration_seconds_count"
    assert value(after, queries, statement="select") > value(before, queries, statement="select")
    assert value(after, queries, statement="insert") > value(before, queries, statement="insert")
    assert value(after, "slotwise_db_query_duration_seconds_sum") > value(
        before, "slotwise_db_query_duration_seconds_sum"
    )


def test_booking_conflicts_are_counted_by_problem_type(
    settings: Settings,
    clinic: Clinic,  # noqa: F811
) -> None:
    with TestClient(metrics_app(settings)) as client:
        before = scrape(client)
        assert book(client, clinic).status_code == 201
        taken = book(client, clinic, patientId=clinic.patients[1].id)
        assert taken.status_code == 409
        after = scrape(client)
    slug = taken.json()["type"].rsplit("/", 1)[-1]
    conflicts = "slotwise_conflicts_total"
    assert delta(before, after, conflicts, code=slug) == 1


def test_rate_limit_refusals_are_counted_by_rule(
    settings: Settings,
    cheap_passwords: None,  # noqa: F811
    clinic: Clinic,  # noqa: F811
) -> None:
    rule = FAILURES_PER_ACCOUNT_AND_ADDRESS
    email = clinic.world.users["frontdesk"].email
    with TestClient(metrics_app(settings)) as client:
        before = scrape(client)
        codes = [
            client.post(
                "/api/auth/token", data={"username": email, "password": "wrong"}
            ).status_code
            for _ in range(rule.limit + 2)
        ]
        after = scrape(client)
    assert codes == [401] * rule.limit + [429, 429]
    refused = "slotwise_rate_limited_total"
    assert delta(before, after, refused, rule=rule.name) == 2
    count = "slotwise_http_requests_total"
    assert delta(before, after, count, route="/api/auth/token", method="POST", status="429") == 2


def test_the_request_paths_caches_report_their_hits(
    settings: Settings,
    clinic: Clinic,  # noqa: F811
) -> None:
    def availability(client: TestClient, until: int) -> dict[str, object]:
        params = {
            "from": clinic.iso(8),
            "to": clinic.iso(until),
            "appointmentTypeId": clinic.adj.id,
        }
        resp = client.get("/api/booking/availability", params=params, headers=clinic.headers())
        assert resp.status_code == 200, resp.text
        return dict(resp.json())

    lookups = "slotwise_cache_requests_total"
    with TestClient(metrics_app(settings)) as client:
        first = availability(client, 18)
        before = scrape(client)
        # The same question with nothing changed: the whole answer comes from the cache.
        assert availability(client, 18) == first
        repeated = scrape(client)
        # Another window: a new answer, from cached configuration and busy time.
        availability(client, 17)
        other = scrape(client)
    assert delta(before, repeated, lookups, cache="availability", result="hit") == 1
    assert delta(before, repeated, lookups, cache="availability", result="miss") == 0
    assert delta(repeated, other, lookups, cache="availability", result="miss") == 1
    for cache in ("config", "busy_time"):
        assert delta(repeated, other, lookups, cache=cache, result="hit") >= 1
        assert delta(repeated, other, lookups, cache=cache, result="miss") == 0


def test_cache_lookups_reported_by_the_caches_are_exported(settings: Settings) -> None:
    with TestClient(metrics_app(settings)) as client:
        before = scrape(client)
        metrics.cache_hit("test_cache")
        metrics.cache_hit("test_cache")
        metrics.cache_miss("test_cache")
        after = scrape(client)
    lookups = "slotwise_cache_requests_total"
    assert delta(before, after, lookups, cache="test_cache", result="hit") == 2
    assert delta(before, after, lookups, cache="test_cache", result="miss") == 1
