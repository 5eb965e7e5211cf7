"""Loading and saving scenarios: JSON for the whole thing, CSV for a request stream.

JSON (``save_json`` writes it, ``load``/``load_json`` read it)::

    {"format": "slotwise-planner-scenario/1", "name": "my-clinic", "seed": 0,
     "timeZone": "Europe/London", "start": "2026-01-05", "weeks": 4,
     "granularityMinutes": 5, "minLeadMinutes": 120, "waitlistAccept": 0.6,
     "resources": [{"id": "prov-1", "kind": "provider", "name": "Dr A",
                    "hours": {"Mon": ["08:30-12:30", "13:30-17:30"], "Tue": [...]}},
                   {"id": "chair-1", "kind": "chair", "hours": {...}},
                   {"id": "scanner-1", "kind": "room", "roomKind": "scanner", "hours": {...}}],
     "types": [{"id": "adjustment", "minutes": 20, "needsProvider": true, "needsChair": true,
                "roomKind": null, "providerIds": [], "timePattern": "AADA"}],
     "templateSlots": [{"id": "consult-tue", "weekday": "Tue", "start": "09:00", "end": "10:30",
                        "typeIds": ["consult"], "chairId": "chair-1", "providerId": null}],
     "requests": [{"id": "r1", "patientId": "p1", "madeAt": "2025-12-20T10:15:00+00:00",
                   "visit": [{"typeId": "scan"},
                             {"typeId": "adjustment", "minGap": 0, "maxGap": 15}],
                   "earliest": "2026-01-05", "latest": "2026-01-16",
                   "days": ["Mon", "Tue", "Sat"], "hours": ["15:00-18:00", "09:00-13:00"],
                   "usualProviderId": "prov-1", "cancelFraction": null, "noShow": false}]}

Hours are clinic-local "HH:MM-HH:MM" blocks per weekday (a missing weekday is closed). Providers
may carry ``"role": "orthodontist"`` (or ``"therapist"``). A resource of kind ``"assistant"`` is
held for the whole of every appointment whose type says ``"needsAssistant": true`` (optional,
default false), like a chair. Types have a fixed length in minutes
and no buffers; ``timePattern`` (optional, null = the provider for the whole appointment) is
doctor time, one ``D`` (provider needed) or ``A`` (assistant time) per 5 minutes. A request's
window is the local dates ``earliest`` to ``latest`` inclusive, on ``days``, within ``hours``.
``waitlistAccept`` (optional, default 0.6) is the chance a waiting patient takes a freed time
offered to them (``slotwise plan simulate --waitlist``).

CSV (a request stream exported from another system; ``load_csv``): one row per request with the
header ``id,patient_id,made_at,visit,gaps,earliest,latest,days,hours,usual_provider_id,
cancel_fraction,no_show``. ``visit`` is the type ids joined by ``+`` (``scan+adjustment``),
``gaps`` the "min-max" minutes before each later part joined by ``;`` (empty: 0-0), ``days``
weekday names joined by spaces, ``hours`` blocks joined by ``;``, ``no_show`` 0/1, empty cells
mean none. The clinic comes from a JSON file in the format above without ``requests``; by default
``<name>.clinic.json`` beside ``<name>.csv``.

A template file (``load_template``, for ``plan compare-templates``) holds ``hours`` (resource id
to a week as above) and ``templateSlots``; a whole scenario JSON works too.
"""

from __future__ import annotations

import csv
import json
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from benchmarks.scenarios.model import (
    WEEKDAYS,
    Block,
    Hours,
    PartSpec,
    Request,
    ResourceSpec,
    Scenario,
    SlotSpec,
    TypeSpec,
)
from solver.errors import InvalidQuery
from solver.time_pattern import check_pattern

FORMAT = "slotwise-planner-scenario/1"
CSV_FIELDS = (
    "id",
    "patient_id",
    "made_at",
    "visit",
    "gaps",
    "earliest",
    "latest",
    "days",
    "hours",
    "usual_provider_id",
    "cancel_fraction",
    "no_show",
)


class ScenarioError(ValueError):
    """A scenario file that cannot be read; the message names the file and the field."""


def _hhmm(t: time) -> str:
    return f"{t.hour:02d}:{t.minute:02d}"


def _block(text: str, where: str) -> Block:
    try:
        a, b = text.strip().split("-")
        ha, ma = map(int, a.split(":"))
        hb, mb = map(int, b.split(":"))
        block = Block(time(ha, ma), time(hb, mb))
    except ValueError as e:
        raise ScenarioError(f"{where}: {text!r} is not an HH:MM-HH:MM block") from e
    if block.minutes <= 0:
        raise ScenarioError(f"{where}: {text!r} ends before it starts")
    return block


def _day(name: str | int, where: str) -> int:
    if isinstance(name, int) and 0 <= name < 7:
        return name
    try:
        return WEEKDAYS.index(str(name)[:3].title())
    except ValueError as e:
        raise ScenarioError(f"{where}: {name!r} is not a weekday (Mon..Sun)") from e


def _hours_out(hours: Hours) -> dict[str, list[str]]:
    return {
        WEEKDAYS[d]: [f"{_hhmm(b.start)}-{_hhmm(b.end)}" for b in bs]
        for d, bs in sorted(hours.items())
    }


def _hours_in(raw: dict[str, list[str]], where: str) -> Hours:
    return {
        _day(d, where): tuple(
            sorted((_block(b, f"{where}.{d}") for b in bs), key=lambda b: b.start)
        )
        for d, bs in raw.items()
    }


def _clinic_dict(s: Scenario) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "name": s.name,
        "seed": s.seed,
        "timeZone": s.time_zone,
        "start": s.start.isoformat(),
        "weeks": s.weeks,
        "granularityMinutes": s.granularity_minutes,
        "minLeadMinutes": s.min_lead_minutes,
        "load": s.load,
        "waitlistAccept": s.waitlist_accept,
        "resources": [
            {
                "id": r.id,
                "kind": r.kind,
                "name": r.name,
                "roomKind": r.room_kind,
                "role": r.role,
                "hours": _hours_out(r.hours),
            }
            for r in s.resources
        ],
        "types": [
            {
                "id": t.id,
                "minutes": t.minutes,
                "name": t.name,
                "needsProvider": t.needs_provider,
                "needsChair": t.needs_chair,
                "needsAssistant": t.needs_assistant,
                "roomKind": t.room_kind,
                "providerIds": list(t.provider_ids),
                "timePattern": t.time_pattern,
            }
            for t in s.types
        ],
        "templateSlots": [_slot_out(x) for x in s.template_slots],
    }


def _slot_out(x: SlotSpec) -> dict[str, Any]:
    return {
        "id": x.id,
        "weekday": WEEKDAYS[x.weekday],
        "start": _hhmm(x.block.start),
        "end": _hhmm(x.block.end),
        "typeIds": list(x.type_ids),
        "chairId": x.chair_id,
        "providerId": x.provider_id,
    }


def _slots_in(raw: list[dict[str, Any]], where: str) -> tuple[SlotSpec, ...]:
    out = []
    for i, x in enumerate(raw):
        w = f"{where}.templateSlots[{i}]"
        try:
            out.append(
                SlotSpec(
                    id=str(x["id"]),
                    weekday=_day(x["weekday"], w),
                    block=_block(f"{x['start']}-{x['end']}", w),
                    type_ids=tuple(x["typeIds"]),
                    chair_id=x.get("chairId"),
                    provider_id=x.get("providerId"),
                )
            )
        except KeyError as e:
            raise ScenarioError(f"{w}: missing field {e}") from e
    return tuple(out)


def to_dict(s: Scenario) -> dict[str, Any]:
    d = _clinic_dict(s)
    d["requests"] = [
        {
            "id": q.id,
            "patientId": q.patient_id,
            "madeAt": q.made_at.isoformat(),
            "visit": [
                {"typeId": p.type_id, "minGap": p.min_gap_minutes, "maxGap": p.max_gap_minutes}
                for p in q.parts
            ],
            "earliest": q.earliest.isoformat(),
            "latest": q.latest.isoformat(),
            "days": [WEEKDAYS[d] for d in q.days],
            "hours": [f"{_hhmm(b.start)}-{_hhmm(b.end)}" for b in q.hours],
            "usualProviderId": q.usual_provider_id,
            "cancelFraction": q.cancel_fraction,
            "noShow": q.no_show,
        }
        for q in s.requests
    ]
    return d


def _aware(text: str, where: str) -> datetime:
    try:
        dt = datetime.fromisoformat(text)
    except ValueError as e:
        raise ScenarioError(f"{where}: {text!r} is not an ISO 8601 date-time") from e
    if dt.tzinfo is None:
        raise ScenarioError(f"{where}: {text!r} needs a UTC offset (e.g. +00:00)")
    return dt


def from_dict(d: dict[str, Any], where: str = "scenario", requests: Any = None) -> Scenario:
    if d.get("format", FORMAT) != FORMAT:
        raise ScenarioError(f"{where}: format {d.get('format')!r} is not {FORMAT!r}")
    try:
        resources = tuple(
            ResourceSpec(
                id=str(r["id"]),
                kind=str(r["kind"]),
                name=r.get("name") or "",
                room_kind=r.get("roomKind"),
                role=r.get("role") or "",
                hours=_hours_in(r.get("hours", {}), f"{where}.resources[{i}].hours"),
            )
            for i, r in enumerate(d["resources"])
        )
        bad = [r.id for r in resources if r.kind not in ("provider", "chair", "room", "assistant")]
        if bad:
            raise ScenarioError(
                f"{where}: resource kind must be provider, chair, room or assistant: {bad}"
            )
        types = tuple(
            TypeSpec(
                id=str(t["id"]),
                minutes=int(t["minutes"]),
                name=t.get("name") or "",
                needs_provider=bool(t.get("needsProvider", True)),
                needs_chair=bool(t.get("needsChair", True)),
                needs_assistant=bool(t.get("needsAssistant", False)),
                room_kind=t.get("roomKind"),
                provider_ids=tuple(t.get("providerIds") or ()),
                time_pattern=_pattern(t, f"{where}.types[{i}]"),
            )
            for i, t in enumerate(d["types"])
        )
        raw_requests = d.get("requests", []) if requests is None else requests
        reqs = tuple(
            r if isinstance(r, Request) else _request_in(r, f"{where}.requests[{i}]")
            for i, r in enumerate(raw_requests)
        )
        s = Scenario(
            name=str(d["name"]),
            seed=int(d.get("seed", 0)),
            time_zone=str(d["timeZone"]),
            start=date.fromisoformat(d["start"]),
            weeks=int(d["weeks"]),
            resources=resources,
            types=types,
            requests=reqs,
            template_slots=_slots_in(d.get("templateSlots", []), where),
            granularity_minutes=int(d.get("granularityMinutes", 5)),
            min_lead_minutes=int(d.get("minLeadMinutes", 120)),
            load=d.get("load"),
            waitlist_accept=float(d.get("waitlistAccept", 0.6)),
        )
    except KeyError as e:
        raise ScenarioError(f"{where}: missing field {e}") from e
    known = {t.id for t in s.types}
    for q in s.requests:
        for p in q.parts:
            if p.type_id not in known:
                raise ScenarioError(f"{where}: request {q.id} asks for unknown type {p.type_id!r}")
    return s


def _pattern(t: dict[str, Any], where: str) -> str | None:
    """A type's ``timePattern``, checked by the engine's own rule (``solver.time_pattern``)."""
    pattern = t.get("timePattern")
    if pattern is None:
        return None
    try:
        check_pattern(str(pattern), int(t["minutes"]), "timePattern")
    except InvalidQuery as e:
        raise ScenarioError(f"{where}.timePattern: {e.message}") from e
    return str(pattern)


def _request_in(r: dict[str, Any], where: str) -> Request:
    return Request(
        id=str(r["id"]),
        patient_id=str(r["patientId"]),
        made_at=_aware(r["madeAt"], f"{where}.madeAt"),
        parts=tuple(
            PartSpec(str(p["typeId"]), int(p.get("minGap", 0)), int(p.get("maxGap", 0)))
            for p in r["visit"]
        ),
        earliest=date.fromisoformat(r["earliest"]),
        latest=date.fromisoformat(r["latest"]),
        days=tuple(_day(x, f"{where}.days") for x in r["days"]),
        hours=tuple(_block(b, f"{where}.hours") for b in r["hours"]),
        usual_provider_id=r.get("usualProviderId"),
        cancel_fraction=r.get("cancelFraction"),
        no_show=bool(r.get("noShow", False)),
    )


def save_json(s: Scenario, path: Path) -> None:
    path.write_text(json.dumps(to_dict(s), indent=1) + "\n")


def load_json(path: Path) -> Scenario:
    try:
        return from_dict(json.loads(path.read_text()), str(path))
    except json.JSONDecodeError as e:
        raise ScenarioError(f"{path}: not valid JSON ({e})") from e


def save_csv(s: Scenario, path: Path, clinic_path: Path | None = None) -> Path:
    """Write the requests to ``path`` and the clinic beside it; returns the clinic file."""
    clinic_path = clinic_path or path.with_suffix(".clinic.json")
    clinic_path.write_text(json.dumps(_clinic_dict(s), indent=1) + "\n")
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(CSV_FIELDS)
        for q in s.requests:
            w.writerow(
                [
                    q.id,
                    q.patient_id,
                    q.made_at.isoformat(),
                    q.visit,
                    ";".join(f"{p.min_gap_minutes}-{p.max_gap_minutes}" for p in q.parts[1:]),
                    q.earliest.isoformat(),
                    q.latest.isoformat(),
                    " ".join(WEEKDAYS[d] for d in q.days),
                    ";".join(f"{_hhmm(b.start)}-{_hhmm(b.end)}" for b in q.hours),
                    q.usual_provider_id or "",
                    "" if q.cancel_fraction is None else repr(q.cancel_fraction),
                    int(q.no_show),
                ]
            )
    return clinic_path


def _gap(text: str, where: str) -> tuple[int, int]:
    try:
        a, b = text.split("-")
        return int(a), int(b)
    except ValueError as e:
        raise ScenarioError(f"{where}: gap {text!r} is not min-max minutes") from e


def load_csv(path: Path, clinic_path: Path | None = None) -> Scenario:
    clinic_path = clinic_path or path.with_suffix(".clinic.json")
    if not clinic_path.exists():
        raise ScenarioError(
            f"{path}: the clinic for this request stream is missing; expected {clinic_path}"
        )
    clinic = json.loads(clinic_path.read_text())
    requests = []
    with path.open(newline="") as f:
        reader = csv.DictReader(f)
        missing = set(CSV_FIELDS) - set(reader.fieldnames or ())
        if missing:
            raise ScenarioError(f"{path}: missing columns {sorted(missing)}")
        for line, row in enumerate(reader, start=2):
            where = f"{path}:{line}"
            types = row["visit"].split("+")
            gaps = [_gap(g, where) for g in row["gaps"].split(";") if g] or []
            if len(gaps) not in (0, len(types) - 1):
                raise ScenarioError(f"{where}: {len(types)} parts need {len(types) - 1} gaps")
            gaps = gaps or [(0, 0)] * (len(types) - 1)
            parts = (
                PartSpec(types[0]),
                *tuple(PartSpec(t, a, b) for t, (a, b) in zip(types[1:], gaps, strict=True)),
            )
            requests.append(
                Request(
                    id=row["id"],
                    patient_id=row["patient_id"],
                    made_at=_aware(row["made_at"], f"{where} made_at"),
                    parts=parts,
                    earliest=date.fromisoformat(row["earliest"]),
                    latest=date.fromisoformat(row["latest"]),
                    days=tuple(_day(x, f"{where} days") for x in row["days"].split()),
                    hours=tuple(_block(b, f"{where} hours") for b in row["hours"].split(";")),
                    usual_provider_id=row["usual_provider_id"] or None,
                    cancel_fraction=float(row["cancel_fraction"])
                    if row["cancel_fraction"]
                    else None,
                    no_show=row["no_show"].strip() in ("1", "true", "True"),
                )
            )
    return from_dict(clinic, str(clinic_path), requests=requests)


def load(path: Path) -> Scenario:
    """A scenario from ``.json`` or a ``.csv`` request stream with its ``.clinic.json``."""
    if not path.exists():
        raise ScenarioError(f"{path}: no such file")
    return load_csv(path) if path.suffix.lower() == ".csv" else load_json(path)


def load_template(path: Path) -> tuple[dict[str, Hours], tuple[SlotSpec, ...]]:
    try:
        d = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise ScenarioError(f"{path}: cannot read the template ({e})") from e
    where = str(path)
    if "hours" in d:
        hours = {rid: _hours_in(h, f"{where}.hours.{rid}") for rid, h in d["hours"].items()}
    else:
        hours = {
            r["id"]: _hours_in(r.get("hours", {}), f"{where}.{r['id']}")
            for r in d.get("resources", [])
        }
    return hours, _slots_in(d.get("templateSlots", []), where)


def template_dict(s: Scenario) -> dict[str, Any]:
    return {
        "hours": {r.id: _hours_out(r.hours) for r in s.resources},
        "templateSlots": [_slot_out(x) for x in s.template_slots],
    }
