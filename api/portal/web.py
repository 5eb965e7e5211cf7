"""Serves the booking widget's files and the demo practice website that embeds it.

Everything ships with the app (no CDN): `/widget/slotwise-widget.js` and `.css` come from
`web/widget/`. Not in the OpenAPI schema: these are pages and assets, not API.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse, HTMLResponse

from api.db import SessionDep
from api.errors import NotFound
from api.models import Clinic
from api.portal import repository

WIDGET_DIR = Path(__file__).resolve().parent.parent.parent / "web" / "widget"
ASSETS = {
    "slotwise-widget.js": "text/javascript; charset=utf-8",
    "slotwise-widget.css": "text/css; charset=utf-8",
    # The page a waitlist offer mail links to (docs/waitlist.md): the patient books or declines.
    "waitlist-offer.html": "text/html; charset=utf-8",
    "waitlist-offer.js": "text/javascript; charset=utf-8",
    "waitlist-offer.css": "text/css; charset=utf-8",
}

router = APIRouter(include_in_schema=False)


@router.get("/widget/{name}")
def widget_asset(name: str) -> FileResponse:
    if name not in ASSETS:
        raise NotFound(f"No widget file '{name}'.")
    # Short caching: a practice site picks up a new widget release within minutes.
    return FileResponse(
        WIDGET_DIR / name,
        media_type=ASSETS[name],
        headers={"Cache-Control": "public, max-age=300", "Access-Control-Allow-Origin": "*"},
    )


def _demo_clinic(session: SessionDep, clinic_id: str | None) -> Clinic:
    if clinic_id:
        clinic = session.get(Clinic, clinic_id)
    else:
        # The first clinic that takes online bookings: the demo clinic on a demo database.
        clinic = repository.first_online_clinic(session)
    if clinic is None:
        raise NotFound("No clinic takes online bookings yet; run `slotwise demo` first.")
    return clinic


@router.get("/demo/practice-site.css")
def practice_site_styles() -> FileResponse:
    # A file rather than a <style> element, so the page runs under a CSP without 'unsafe-inline'.
    return FileResponse(
        WIDGET_DIR / "demo-practice-site.css",
        media_type="text/css; charset=utf-8",
        headers={"Cache-Control": "no-cache"},
    )


@router.get("/demo/practice-site", response_class=HTMLResponse)
def practice_site(
    session: SessionDep, clinic_id: Annotated[str | None, Query(alias="clinic")] = None
) -> HTMLResponse:
    clinic = _demo_clinic(session, clinic_id)
    page = (WIDGET_DIR / "demo-practice-site.html").read_text(encoding="utf-8")
    page = page.replace("{{CLINIC_NAME}}", html.escape(clinic.name)).replace(
        "{{CLINIC_ID}}", html.escape(clinic.id, quote=True)
    )
    return HTMLResponse(page)
