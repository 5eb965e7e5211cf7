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
 * Freed time the page shows, keyed by the appointment that held it, with the last answer.
 * @type {Map<string, {placement: Appointment, matches: WaitlistMatches}>}
 */
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
 * Asks who on the waitlist could take the time a cancelled appointment held, and shows the gap
 * when someone fits. Resolves to how many fit (0 when the check failed: a cancellation has
 * already succeeded, and the waitlist is a bonus on top of it).
 * @param {Appointment} appt the appointment as it was booked
 * @returns {Promise<number>}
 */
export async function findWaitlistFits(appt) {
  if (!may("booking:create_appointment")) return 0;
  try {
    /** @type {WaitlistMatches} */
    const matches = await getJson(`/api/booking/waitlist/matches?${new URLSearchParams({ appointmentId: appt.id })}`);
    if (matches.total) gaps.set(appt.id, { placement: appt, matches });
    else gaps.delete(appt.id);
    refetch();
    return matches.total;
  } catch {
    return 0;
  }
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
      findWaitlistFits(gap.placement).then(() => (gaps.has(gapId) ? openWaitlist(gapId) : dialog("#waitlist-dialog").close()));
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
      json: { appointmentId: gapId, count: 3 },
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

/** Gaps of appointments booked again (the live channel, another desk) are no longer free. @param {Appointment} appt */
export function onAppointmentChanged(appt) {
  if (appt.status !== "CANCELLED" && !appt.deletedAt && gaps.delete(appt.id)) refetch();
}

export function wireWaitlist() {
  button("#waitlist-offer").onclick = offerTop;
  dialog("#waitlist-dialog").addEventListener("close", () => (openGapId = null));
}
