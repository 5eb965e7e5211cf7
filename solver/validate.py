"""Check one concrete booking against every hard rule and name each conflict.

Deliberately written as plain per-rule checks over the input (no numpy, no CP-SAT): it is the
reference the API uses for staff bookings with explicit times and resources, and the tests use
it to cross-check the search. An empty list means bookable.

Codes (stable): ``naive_datetime``, ``not_on_grid``, ``before_lead_time``, ``beyond_horizon``,
``outside_window``, ``duration_bounds``, ``outside_hours``, ``resource_busy`` (resource_id, ref =
the busy interval's ref), ``patient_busy`` (ref), ``template_reserved`` (ref = slot id),
``template_slot_mismatch``, ``not_qualified`` (unqualified provider, or not the pinned / slot's
resource), ``wrong_room_kind``, ``missing_resource``, ``gap``, ``same_provider``, ``same_chair``,
``part_overlap``.

The booking must have one assignment per visit part, of the part's type, naming only known
resources of the right kind; anything else is a malformed request and raises ``InvalidQuery``.
"""

from __future__ import annotations

from collections.abc import Sequence

from solver.errors import InvalidQuery
from solver.grid import calendar_for, to_datetime, to_sec_ceil, to_sec_floor, zone
from solver.masks import busy_pairs, slot_instances
from solver.prepare import prepare
from solver.problem import ResourceKind, SlotQuery
from solver.result import PartAssignment, Violation


def validate(query: SlotQuery, parts: Sequence[PartAssignment]) -> list[Violation]:
    prep = prepare(query)
    clinic = query.clinic
    tz = zone(clinic.time_zone)
    if len(parts) != len(prep.parts):
        raise InvalidQuery(
            "parts", f"the visit has {len(prep.parts)} part(s) but {len(parts)} were given"
        )
    out: list[Violation] = []
    for i, a in enumerate(parts):
        if a.type_id != prep.parts[i].type.id:
            raise InvalidQuery(
                f"parts[{i}].type_id",
                f"part {i + 1} is a {prep.parts[i].type.id!r}, got {a.type_id!r}",
            )
        for kind, rid in _held(a).items():
            r = prep.resources.get(rid)
            if r is None:
                raise InvalidQuery(f"parts[{i}].{kind.value}_id", f"unknown {kind.value} {rid!r}")
            if r.kind != kind:
                raise InvalidQuery(
                    f"parts[{i}].{kind.value}_id",
                    f"{rid!r} is a {r.kind.value}, not a {kind.value}",
                )
        for name in ("start", "end"):
            dt = getattr(a, name)
            if dt.tzinfo is None or dt.utcoffset() is None:
                out.append(Violation("naive_datetime", f"part {i + 1} {name} has no time zone", i))
    if out:
        return out

    names = {r.id: r.name or r.id for r in clinic.resources}
    times = [(to_sec_floor(a.start), to_sec_floor(a.end)) for a in parts]

    def local(t: int) -> str:
        return to_datetime(t).astimezone(tz).strftime("%a %d %b %H:%M")

    lo = min(s for s, _ in times) - max(p.bb for p in prep.parts)
    hi = max(e for _, e in times) + max(p.ba for p in prep.parts)
    cal = calendar_for(clinic.time_zone, lo, max(hi, lo))
    span = (int(cal.mid[0]), int(cal.mid[-1]))
    slots = slot_instances(cal, clinic.template_slots)
    policy = clinic.policy
    now = query.now

    first_s, last_e = times[0][0], times[-1][1]
    if first_s < to_sec_ceil(now + policy.min_lead_time):
        out.append(
            Violation(
                "before_lead_time",
                f"starts {local(first_s)}, before the earliest bookable time "
                f"{local(to_sec_ceil(now + policy.min_lead_time))}",
                0,
            )
        )
    if last_e > to_sec_floor(now + policy.max_horizon):
        out.append(
            Violation(
                "beyond_horizon",
                f"ends {local(last_e)}, after the booking horizon "
                f"{local(to_sec_floor(now + policy.max_horizon))}",
                len(parts) - 1,
            )
        )
    if first_s < to_sec_ceil(query.window_start):
        out.append(Violation("outside_window", f"starts {local(first_s)}, before the window", 0))
    if last_e > to_sec_floor(query.window_end):
        out.append(
            Violation("outside_window", f"ends {local(last_e)}, after the window", len(parts) - 1)
        )

    patient = busy_pairs("patient_busy", query.patient_busy, *span)
    hours_cache: dict[str, list[list[int]]] = {}
    occ: list[tuple[int, int]] = []
    for i, (a, p) in enumerate(zip(parts, prep.parts, strict=True)):
        s, e = times[i]
        t = p.type
        label = f"part {i + 1} ({t.name or t.id})"
        occ.append((s - p.bb, e + p.ba))
        if not cal.on_grid(s, policy.granularity_minutes):
            out.append(
                Violation(
                    "not_on_grid",
                    f"{label} starts {local(s)}, not on the {policy.granularity_minutes}-minute "
                    f"grid",
                    i,
                )
            )
        dur = e - s
        vp = query.visit.parts[i]
        if not t.min_minutes * 60 <= dur <= t.max_minutes * 60:
            out.append(
                Violation(
                    "duration_bounds",
                    f"{label} lasts {dur / 60:g} min; {t.id!r} allows {t.min_minutes}-"
                    f"{t.max_minutes} min",
                    i,
                )
            )
        elif vp.duration_minutes is not None and dur != vp.duration_minutes * 60:
            out.append(
                Violation(
                    "duration_bounds",
                    f"{label} lasts {dur / 60:g} min but the visit asks for "
                    f"{vp.duration_minutes} min",
                    i,
                )
            )

        held = _held(a)
        for kind, pool in p.pools.items():
            got_id = held.get(kind)
            if got_id is None:
                out.append(Violation("missing_resource", f"{label} needs a {kind.value}", i))
            elif got_id not in pool:
                rid = got_id
                r = prep.resources[rid]
                if kind == ResourceKind.ROOM and r.room_kind != t.room_kind:
                    out.append(
                        Violation(
                            "wrong_room_kind",
                            f"{names[rid]} is a {r.room_kind or 'plain'} room; {label} needs "
                            f"a {t.room_kind} room",
                            i,
                            rid,
                        )
                    )
                else:
                    out.append(
                        Violation(
                            "not_qualified",
                            f"{names[rid]} may not take {label}"
                            + (
                                f" (the visit asks for {names.get(pool[0], pool[0])})"
                                if len(pool) == 1
                                else ""
                            ),
                            i,
                            rid,
                        )
                    )

        for rid in held.values():
            r = prep.resources[rid]
            if rid not in hours_cache:
                hours_cache[rid] = cal.merged_hours(r.hours).tolist()
            os_, oe = occ[i]
            if not any(hs <= os_ and oe <= he for hs, he in hours_cache[rid]):
                out.append(
                    Violation(
                        "outside_hours",
                        f"{names[rid]} is not working for all of {local(os_)}-"
                        f"{local(oe)[-5:]} ({label}, buffers included)",
                        i,
                        rid,
                    )
                )
            for bs, be, ref in busy_pairs(f"clinic.resources[{rid}].busy", r.busy, *span):
                if bs < oe and os_ < be:
                    out.append(
                        Violation(
                            "resource_busy",
                            f"{names[rid]} is busy {local(bs)}-{local(be)[-5:]}"
                            + (f" ({ref})" if ref else ""),
                            i,
                            rid,
                            ref,
                        )
                    )

        for bs, be, ref in patient:
            if bs < e and s < be:
                out.append(
                    Violation(
                        "patient_busy",
                        f"the patient is booked {local(bs)}-{local(be)[-5:]}"
                        + (f" ({ref})" if ref else ""),
                        i,
                        ref=ref,
                    )
                )

        used = set(held.values())
        seen: set[str] = set()
        for slot, ss, se in slots:
            if (
                slot.applies_to_part(used)
                and ss < e
                and s < se
                and t.id not in slot.type_ids
                and slot.id not in seen
            ):
                seen.add(slot.id)
                out.append(
                    Violation(
                        "template_reserved",
                        f"{label} overlaps template slot {slot.id} ({local(ss)}-{local(se)[-5:]})"
                        f", reserved for other appointment types",
                        i,
                        ref=slot.id,
                    )
                )

        want = vp.template_slot_id
        got = a.template_slot_id
        if want is not None and got != want:
            out.append(
                Violation(
                    "template_slot_mismatch",
                    f"{label} should book into template slot {want}, not {got or 'custom time'}",
                    i,
                    ref=want,
                )
            )
        elif got is not None:
            problem = _slot_problem(
                got, t.id, s, e, used, slots, clinic.template_slots, want is not None
            )
            if problem:
                out.append(Violation("template_slot_mismatch", f"{label} {problem}", i, ref=got))

    for i in range(1, len(parts)):
        p = prep.parts[i]
        gap = times[i][0] - times[i - 1][1]
        if not p.min_gap <= gap <= p.max_gap:
            out.append(
                Violation(
                    "gap",
                    f"part {i + 1} starts {gap / 60:g} min after part {i} ends; the visit "
                    f"allows {p.min_gap // 60}-{p.max_gap // 60} min",
                    i,
                )
            )
    for kind, flag, code in (
        (ResourceKind.PROVIDER, query.visit.same_provider, "same_provider"),
        (ResourceKind.CHAIR, query.visit.same_chair, "same_chair"),
    ):
        ids = [(i, _held(a).get(kind)) for i, a in enumerate(parts) if kind in prep.parts[i].pools]
        for i, other in ids[1:]:
            first = ids[0][1]
            if flag and other is not None and first is not None and other != first:
                rid = other
                out.append(
                    Violation(
                        code,
                        f"part {i + 1} uses {names[rid]} but part {ids[0][0] + 1} uses "
                        f"{names[first]}; the visit needs one {kind.value}",
                        i,
                        rid,
                    )
                )
    for i in range(len(parts)):
        for j in range(i + 1, len(parts)):
            shared = set(_held(parts[i]).values()) & set(_held(parts[j]).values())
            if shared and occ[i][0] < occ[j][1] and occ[j][0] < occ[i][1]:
                for rid in sorted(shared):
                    out.append(
                        Violation(
                            "part_overlap",
                            f"parts {i + 1} and {j + 1} both need {names[rid]} at overlapping "
                            f"times (buffers included)",
                            j,
                            rid,
                        )
                    )
    return out


def _held(a: PartAssignment) -> dict[ResourceKind, str]:
    pairs = (
        (ResourceKind.PROVIDER, a.provider_id),
        (ResourceKind.CHAIR, a.chair_id),
        (ResourceKind.ROOM, a.room_id),
    )
    return {k: v for k, v in pairs if v is not None}


def _slot_problem(
    slot_id: str,
    type_id: str,
    s: int,
    e: int,
    used: set[str],
    instances: list,
    all_slots: tuple,
    booked_into: bool,
) -> str | None:
    slot = next((x for x in all_slots if x.id == slot_id), None)
    if slot is None:
        return f"names unknown template slot {slot_id}"
    if type_id not in slot.type_ids:
        return f"is not a type template slot {slot_id} is reserved for"
    owners = {o for o in (slot.chair_id, slot.provider_id) if o is not None}
    if booked_into and owners - used:
        # Booking into a slot takes the slot's chair and provider.
        return f"does not use {', '.join(sorted(owners - used))} of template slot {slot_id}"
    if owners and not owners & used:
        # Filling a slot only needs it to apply: the part uses its chair or its provider.
        return f"uses neither resource of template slot {slot_id}, so it cannot fill it"
    if not any(x.id == slot_id and a <= s and e <= b for x, a, b in instances):
        return f"does not lie wholly inside template slot {slot_id}"
    return None
