// @ts-check
// Freed time and the waitlist (docs/waitlist.md): after a cancellation the engine lists the
// waiting patients who fit the freed time; the gap shows "N on the waitlist fit", one click
// lists them with the server's reasons, and staff book one (their later booking moves in the
// same transaction) or offer the time to the top few. Which entries fit, and in what order, is
// the server's answer; nothing about fitting is worked out here.

import { api, explain, getJson } from "./api.js";
import { applyServer, ensurePatients } from "./appointments.js";
import { $, button, dialog, el, emptyItem, toast, uuid } from "./dom.js";
import { columnField, may, refetch, resourceName, state, typeName, whenIdle } from "./state.js";
import * as tz from "./tz.js";

/**
 * @typedef {object} FreedGap freed time the page shows, with the server's last answer on it
 * @property {Placement} placement where and when the time freed (the columns place it by this)
 * @property {Record<string, string>} query how the server is asked about it: `appointmentId`
 *   for a cancelled appointment's time, else `chairId`/`providerId` with `start` and `end`
 * @property {WaitlistMatches} matches
 */

/** @type {Map<string, FreedGap>} */
const gaps = new Map();

/** @type {string | null} the gap whose list is open */
let openGapId = null;

/** The freed gaps, as events over the time they freed. */
export const waitlistSource = {
  /** @returns {Promise<EC.EventInput[]>} */
  events: async () => {
    await whenIdle();
    const field = columnField();
    return [...gaps.entries()].flatMap(([id, gap]) => {
      const resourceId = gap.placement[field];
      if (!resourceId || !gap.matches.total) return [];
      return [
        {
          id: `waitlist-${id}`,
          resourceIds: [resourceId],
          start: tz.toWall(gap.placement.startTime, state.zone),
          end: tz.toWall(gap.placement.endTime, state.zone),
          classNames: ["waitlist-gap"],
          editable: false,
          extendedProps: { kind: /** @type {const} */ ("waitlist"), gapId: id, label: fitLabel(gap.matches.total) },
        },
      ];
    });
  },
};

/** @param {number} total */
function fitLabel(total) {
  return `${total} on the waitlist fit${total === 1 ? "s" : ""}`;
}

/** @param {EC.Event} ev @returns {EC.Content} */
export function waitlistContent(ev) {
  const props = ev.extendedProps;
  if (props.kind !== "waitlist") return { domNodes: [] };
  const body = el("button", "waitlist-chip", props.label);
  body.setAttribute("type", "button");
  body.dataset.gapId = props.gapId;
  return { domNodes: [body] };
}

/**
 * Asks the server who on the waitlist fits freed time and shows the gap when someone does.
 * Resolves to how many fit (0 when the check failed: the change that freed the time has already
 * succeeded, and the waitlist is a bonus on top of it).
 * @param {string} key @param {Placement} placement @param {Record<string, string>} query
 * @returns {Promise<number>}
 */
async function check(key, placement, query) {
  if (!may("booking:create_appointment")) return 0;
  try {
    /** @type {WaitlistMatches} */
    const matches = await getJson(`/api/booking/waitlist/matches?${new URLSearchParams(query)}`);
    if (matches.total) gaps.set(key, { placement, query, matches });
    else gaps.delete(key);
    refetch();
    return matches.total;
  } catch {
    return 0;
  }
}

/** The time a cancelled appointment held. @param {Appointment} appt the appointment as it was booked */
export function findWaitlistFits(appt) {
  return check(appt.id, appt, { appointmentId: appt.id });
}

/**
 * Time an appointment no longer takes after it moved or got shorter: `before` minus `after` on
 * the resource it left (a move to another column frees all of it). Tells the desk when someone
 * fits.
 * @param {Appointment} before @param {Appointment} after
 */
export async function findFitsInFreedTime(before, after) {
  const resource = before.chairId ? "chairId" : "providerId";
  let start = Date.parse(before.startTime);
  let end = Date.parse(before.endTime);
  if (after[resource] === before[resource] && after.status !== "CANCELLED") {
    const [s, e] = [Date.parse(after.startTime), Date.parse(after.endTime)];
    if (s <= start && e >= end) return; // it still covers all of it
    if (s > start && s < end) end = s; // it moved later, or kept its start and shrank: the head
    else if (e > start && e < end) start = e; // it moved earlier or shrank: the tail
  }
  const id = before[resource];
  if (!id || end <= start) return;
  const iso = (/** @type {number} */ ms) => new Date(ms).toISOString();
  const placement = { ...before, startTime: iso(start), endTime: iso(end) };
  const fits = await check(`${id}-${iso(start)}`, placement, { [resource]: id, start: iso(start), end: iso(end) });
  if (fits) toast(`${fitLabel(fits)} the time this freed: click it to see who.`, "ok");
}

/** @param {string} gapId */
export async function openWaitlist(gapId) {
  const gap = gaps.get(gapId);
  if (!gap) return;
  openGapId = gapId;
  await ensurePatients(gap.matches.matches.map((m) => m.entry.patientId));
  $("#waitlist-what").textContent =
    `${tz.describe(gap.placement.startTime, state.zone)} · ${resourceName(gap.placement[columnField()])} · ` +
    `${fitLabel(gap.matches.total)}${gap.matches.complete ? "" : " (the search was cut short; there may be more)"}`;
  const list = $("#waitlist-list");
  list.replaceChildren(...(gap.matches.matches.length ? gap.matches.matches.map(matchItem) : [emptyItem("Nobody fits.")]));
  button("#waitlist-offer").disabled = !gap.matches.matches.length;
  const dlg = dialog("#waitlist-dialog");
  if (!dlg.open) dlg.showModal();
}

/** One waiting patient: who, when they would come, why they rank there, and Book. @param {WaitlistMatch} m */
function matchItem(m) {
  const entry = m.entry;
  const first = m.slot.parts[0];
  const when = `${tz.describe(m.slot.startTime, state.zone)} with ${resourceName(first?.providerId)}`;
  const title = el("strong", "", entry.patient?.name ?? "Patient");
  const what = el("span", "muted", ` ${typeName(entry.appointmentTypeId)} · ${when} · score ${m.score.toFixed(1)}`);
  const reasons = el("ul", "waitlist-reasons", ...m.terms.filter((t) => t.points || t.rule === "preferred_provider").map((t) => el("li", "", t.reason)));
  const book = el("button", "", "Book");
  book.setAttribute("type", "button");
  book.dataset.entryId = entry.id;
  book.onclick = () => bookEntry(m);
  const item = el("li", "waitlist-match", el("div", "", title, what), reasons, book);
  item.dataset.entryId = entry.id;
  if (entry.notes) item.append(el("p", "muted", entry.notes));
  return item;
}

/** Books the waiting patient into the slot the server matched. @param {WaitlistMatch} m */
async function bookEntry(m) {
  const gapId = openGapId;
  try {
    const { data } = await api(`/api/booking/waitlist/${m.entry.id}/book`, {
      method: "POST",
      json: {
        parts: m.slot.parts.map((p) => ({
          startTime: p.startTime,
          providerId: p.providerId,
          chairId: p.chairId,
          roomId: p.roomId,
        })),
      },
      headers: { "Idempotency-Key": uuid() },
    });
    /** @type {{entry: WaitlistEntry, appointments: Appointment[], cancelledAppointmentIds: string[]}} */
    const booked = data;
    dialog("#waitlist-dialog").close();
    if (gapId) gaps.delete(gapId);
    for (const id of booked.cancelledAppointmentIds) state.appointments.delete(id);
    await ensurePatients(booked.appointments.map((a) => a.patientId));
    applyServer(...booked.appointments);
    const moved = booked.cancelledAppointmentIds.length ? "; their later booking was cancelled" : "";
    toast(`Booked ${m.entry.patient?.name ?? "the patient"} from the waitlist at ${tz.describe(m.slot.startTime, state.zone)}${moved}.`, "ok");
  } catch (err) {
    toast(`Not booked: ${explain(err)}`, "error");
    const gap = gapId ? gaps.get(gapId) : undefined;
    // Someone else may have taken the time or the patient: ask again who still fits.
    if (gap && gapId) {
      check(gapId, gap.placement, gap.query).then(() => (gaps.has(gapId) ? openWaitlist(gapId) : dialog("#waitlist-dialog").close()));
    }
  }
}

/** Offers the freed time to the top three who fit; the first to accept gets it. */
async function offerTop() {
  const gapId = openGapId;
  if (!gapId) return;
  try {
    /** @type {{data: WaitlistOffer}} */
    const { data } = await api("/api/booking/waitlist/offers", {
      method: "POST",
      json: { ...(gaps.get(gapId)?.query ?? {}), count: 3 },
      headers: { "Idempotency-Key": uuid() },
    });
    dialog("#waitlist-dialog").close();
    gaps.delete(gapId);
    refetch();
    const n = data.recipients.length;
    toast(
      `Offered to ${n} patient${n === 1 ? "" : "s"} until ${tz.describe(data.expiresAt, state.zone)}; the first to accept gets it.`,
      "ok",
    );
  } catch (err) {
    toast(`Not offered: ${explain(err)}`, "error");
  }
}

/**
 * A gap someone has booked into since (the live channel, another desk, this one) is no longer
 * free: it goes, and the next click would ask again anyway.
 * @param {Appointment} appt
 */
export function onAppointmentChanged(appt) {
  if (appt.status === "CANCELLED" || appt.deletedAt) return;
  const [s, e] = [Date.parse(appt.startTime), Date.parse(appt.endTime)];
  let changed = false;
  for (const [key, gap] of gaps) {
    const overlaps = s < Date.parse(gap.placement.endTime) && e > Date.parse(gap.placement.startTime);
    const sameColumn = /** @type {ResourceField[]} */ (["chairId", "providerId", "roomId"]).some((f) => gap.placement[f] && gap.placement[f] === appt[f]);
    if (key === appt.id || (overlaps && sameColumn)) changed = gaps.delete(key) || changed;
  }
  if (changed) refetch();
}

export function wireWaitlist() {
  button("#waitlist-offer").onclick = offerTop;
  dialog("#waitlist-dialog").addEventListener("close", () => (openGapId = null));
}
