"""Every response carries the browser security headers; pages get a CSP that runs only the app's
own files, everything else a CSP that allows nothing (the browser test plays them in Chromium)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import ClinicWorld


def _secured(headers: object) -> str:
    h = dict(headers)  # type: ignore[call-overload]
    assert h["x-content-type-options"] == "nosniff"
    assert h["x-frame-options"] == "DENY"
    assert h["referrer-policy"] == "no-referrer"
    policy = str(h["content-security-policy"])
    assert "frame-ancestors 'none'" in policy
    return policy


def test_api_responses_allow_nothing_and_are_not_sniffed(
    client: TestClient, world: ClinicWorld
) -> None:
    ok = client.get("/api/clinics", headers=world.headers("admin"))
    assert ok.status_code == 200
    assert _secured(ok.headers).startswith("default-src 'none'")
    # Errors too, including the ones answered before any route: 401, 404, 413.
    assert _secured(client.get("/api/clinics").headers).startswith("default-src 'none'")
    assert _secured(client.get("/api/nothing-here").headers).startswith("default-src 'none'")
    huge = client.post("/api/clinics", content=b"x" * (1024 * 1024 + 1))
    assert huge.status_code == 413
    _secured(huge.headers)


def test_pages_run_only_their_own_files(client: TestClient, world: ClinicWorld) -> None:
    demo = f"/demo/practice-site?clinic={world.clinic.id}"
    for path in ("/calendar", demo):
        response = client.get(path)
        assert response.status_code == 200
        policy = _secured(response.headers)
        assert "script-src 'self'" in policy and "style-src 'self'" in policy
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    # The demo page's styles are a file the policy allows, not an inline <style>.
    page = client.get(demo).text
    assert "<style" not in page and 'href="/demo/practice-site.css"' in page
    css = client.get("/demo/practice-site.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")


def test_the_widget_script_stays_loadable_from_any_site(client: TestClient) -> None:
    js = client.get("/widget/slotwise-widget.js")
    assert js.headers["access-control-allow-origin"] == "*"
    assert "cross-origin-resource-policy" not in js.headers
    _secured(js.headers)


def test_the_api_docs_keep_working(client: TestClient) -> None:
    # Swagger UI needs its CDN and an inline bootstrap script: only framing is restricted.
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert _secured(docs.headers) == "frame-ancestors 'none'"
