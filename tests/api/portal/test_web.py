"""The widget's files and the demo practice page ship with the app: no CDN, no framework."""

from __future__ import annotations

import re

from tests.api.portal.conftest import Portal


def test_widget_assets_are_served(portal: Portal) -> None:
    js = portal.client.get("/widget/slotwise-widget.js")
    assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")
    assert "attachShadow" in js.text
    css = portal.client.get("/widget/slotwise-widget.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert portal.client.get("/widget/../api/main.py").status_code == 404
    assert portal.client.get("/widget/other.js").status_code == 404
    # Nothing is fetched from elsewhere at run time.
    for text in (js.text, css.text):
        code = "\n".join(ln for ln in text.splitlines() if not ln.lstrip().startswith("//"))
        assert not re.search(r"(src|href|import|url\()[^\n]*https?://", code)


def test_demo_practice_page_embeds_the_widget(portal: Portal) -> None:
    resp = portal.client.get("/demo/practice-site")
    assert resp.status_code == 200
    page = resp.text
    clinic_id = portal.clinic.world.clinic.id
    assert f'<div id="slotwise-booking" data-clinic="{clinic_id}"></div>' in page
    assert '<script type="module" src="/widget/slotwise-widget.js"></script>' in page
    assert "Smile Clinic" in page
    assert portal.client.get("/demo/practice-site?clinic=nope").status_code == 404


def test_the_waitlist_offer_page_ships_with_the_app_and_runs_only_its_own_script(
    portal: Portal,
) -> None:
    page = portal.client.get("/widget/waitlist-offer.html")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<script type="module" src="waitlist-offer.js"></script>' in page.text
    # A page with script: the app pages' policy (its own files only), not the no-script one.
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert page.headers["referrer-policy"] == "no-referrer"  # the link's token stays here
    assets = {"waitlist-offer.js": "text/javascript", "waitlist-offer.css": "text/css"}
    for name, kind in assets.items():
        asset = portal.client.get(f"/widget/{name}")
        assert asset.status_code == 200 and asset.headers["content-type"].startswith(kind)
        assert not re.search(r"https?://", asset.text)
    # The widget's own assets keep the policy that allows nothing.
    widget = portal.client.get("/widget/slotwise-widget.js")
    assert "script-src" not in widget.headers["content-security-policy"]
