// @ts-check
// Every change the page sends: shown at once (optimistic), put back as it was, with the
// server's explanation, when the server refuses it. Changes go into state and the calendar is
// redrawn from its sources; nothing patches calendar events by hand.

import { api, ApiError, explain } from "./api.js";
import { applyServer, ensurePatients, reloadOne, visible } from "./appointments.js";
import { isBar, shiftedTime } from "./doctor_time.js";
import { minutesBetween, money, toast, uuid } from "./dom.js";
import { probeHover, stopProbe } from "./probe.js";
import { calendar, columnField, patientName, refetch, resourceName, state, typeName } from "./state.js";
import * as tz from "./tz.js";
import { findFitsInFreedTime, findWaitlistFits } from "./waitlist.js";

/** @param {Appointment} appt */
function ifMatch(appt) {
  return { "If-Match": `"${appt.version}"` };
}

/** @param {string} startIso @param {number} minutes */
function endOf(startIso, minutes) {
  return new Date(Date.parse(startIso) + minutes * 60000).toISOString();
}

/**
 * Shows `shown` in place of an appointment (null: hides it) while `send` runs; when the server
 * refuses, puts the appointment back unless a newer word on it arrived meanwhile.
 * @template {Appointment} T
 * @param {Appointment} appt
 * @param {Appointment | null} shown
 * @param {() => Promise<T>} send
 * @returns {Promise<T>}
 */
async function optimistic(appt, shown, send) {
  if (shown) state.appointments.set(appt.id, shown);
  else state.appointments.delete(appt.id);
  refetch();
  try {
    const row = await send();
    applyServer(row);
    return row;
  } catch (err) {
    if (state.appointments.get(appt.id) === (shown ?? undefined)) state.appointments.set(appt.id, appt);
    refetch();
    if (err instanceof ApiError && err.status === 412) reloadOne(appt.id);
    throw err;
  }
}

/** A block dropped on a new time or column: reschedule. @param {EC.DropInfo} info */
export async function onDrop(info) {
  stopProbe();
  const appt = state.appointments.get(info.event.id);
  // The provider bar shows doctor time and takes no bookings (dragConstraint refuses it while
  // dragging, but EventCalendar still reports a drop released over it).
  if (!appt || isBar(info.newResource?.id)) return info.revert();
  const field = columnField();
  const startTime = tz.wallToIso(info.event.start, state.zone);
  /** @type {Record<string, string>} */
  const body = { startTime };
  // Its provider time moves with it until the server says where the provider is now needed.
  const shown = { ...appt, startTime, endTime: endOf(startTime, appt.duration), providerTime: shiftedTime(appt, startTime) };
  if (info.newResource) {
    body[field] = info.newResource.id;
    shown[field] = info.newResource.id;
  }
  try {
    /** @type {Appointment} */
    const data = await optimistic(appt, shown, async () => {
      const { data } = await api(`/api/booking/appointments/${appt.id}/reschedule`, {
        method: "POST",
        json: body,
        headers: { ...ifMatch(appt), "Idempotency-Key": uuid() },
      });
      return data;
    });
    toast(`Moved ${patientName(data.patientId)} to ${tz.describe(data.startTime, state.zone)}.`, "ok");
    findFitsInFreedTime(appt, data);
  } catch (err) {
    toast(`Not moved: ${explain(err)}`, "error");
  }
}

/** The duration a resize may give: the type's bounds. @param {Appointment} appt @param {number} minutes */
function clampMinutes(appt, minutes) {
  const kind = state.types.get(appt.appointmentTypeId);
  return kind ? Math.min(kind.maxDuration, Math.max(kind.minDuration, minutes)) : minutes;
}

/**
 * While resizing: the duration the drop will get (clamped to the type's bounds), probed.
 * Returning false would snap the block back to its original size, so the bound is applied on
 * the drop instead and announced here.
 * @param {EC.DragInfo} info
 */
export function resizeAllowed(info) {
  const appt = state.appointments.get(info.event.id);
  if (!appt) return false;
  const asked = minutesBetween(info.event.start, info.event.end);
  const minutes = clampMinutes(appt, asked);
  const name = typeName(appt.appointmentTypeId);
  const note =
    minutes < asked
      ? `Stops at ${minutes} min, the ${name} maximum.`
      : minutes > asked
        ? `Stops at ${minutes} min, the ${name} minimum.`
        : `${minutes} min.`;
  return probeHover(info, minutes, note);
}

/** A block's bottom edge dragged: a new duration, stopping at the type's bounds. @param {EC.DropInfo} info */
export async function onResize(info) {
  stopProbe();
  const appt = state.appointments.get(info.event.id);
  if (!appt || !state.types.get(appt.appointmentTypeId)) return info.revert();
  const minutes = clampMinutes(appt, minutesBetween(info.event.start, info.event.end));
  // The block stops at the type's bound at once, before the server answers.
  const shown = { ...appt, duration: minutes, endTime: endOf(appt.startTime, minutes) };
  try {
    const data = await optimistic(appt, shown, async () => {
      const { data } = await api(`/api/booking/appointments/${appt.id}`, {
        method: "PUT",
        json: { duration: minutes },
        headers: ifMatch(appt),
      });
      return /** @type {Appointment} */ (data);
    });
    toast(`${typeName(data.appointmentTypeId)} now lasts ${data.duration} minutes.`, "ok");
    if (data.duration < appt.duration) findFitsInFreedTime(appt, data);
  } catch (err) {
    toast(`Not resized: ${explain(err)}`, "error");
  }
}

/**
 * Shows new bookings at once while the server books them; they go again if it refuses.
 * @param {Placement[]} parts what to show meanwhile
 * @param {string} label
 * @param {() => Promise<{data: any}>} send
 * @returns {Promise<Appointment[]>} the booked rows
 */
async function optimisticCreate(parts, label, send) {
  const id = `pending-${uuid()}`;
  state.pending.set(id, { parts, label });
  refetch();
  try {
    const { data } = await send();
    /** @type {Appointment[]} */
    const rows = data.appointments || [data];
    await ensurePatients(rows.map((r) => r.patientId));
    state.pending.delete(id);
    applyServer(...rows);
    return rows;
  } finally {
    if (state.pending.delete(id)) refetch();
  }
}

/**
 * Books a suggestion or a dialog's draft: one part with its fields at the top level, several
 * as a visit booked all or none.
 * @param {{parts: Omit<SuggestionPart, "endTime" | "providerTime">[]}} slot
 * @param {Record<string, unknown>} extra patient, plan, notes
 * @param {string} label shown on the block meanwhile
 */
export async function bookSlot(slot, extra, label) {
  const parts = slot.parts.map((p) => ({
    appointmentTypeId: p.appointmentTypeId,
    providerId: p.providerId,
    chairId: p.chairId,
    roomId: p.roomId,
    startTime: p.startTime,
    duration: p.duration,
    templateSlotId: p.templateSlotId,
    // The assistant shown (a suggestion's, the dialog's pin) is the one booked; none is sent
    // where there is none, so clinics without assistants send what they always sent.
    ...(p.assistantId ? { assistantId: p.assistantId } : {}),
  }));
  const body = parts.length === 1 ? { ...extra, ...parts[0] } : { ...extra, parts };
  const shown = parts.map((p) => ({ ...p, endTime: endOf(p.startTime, p.duration) }));
  return optimisticCreate(shown, label, () =>
    api("/api/booking/appointments", { method: "POST", json: body, headers: { "Idempotency-Key": uuid() } }),
  );
}

/**
 * A copy of an appointment: at the next free time, or at a chosen time and column.
 * @param {Appointment} appt
 * @param {{start: Date, resourceId: string | undefined} | null} target
 */
export async function duplicate(appt, target) {
  /** @type {Record<string, string>} */
  const body = {};
  /** @type {Placement[]} */
  let shown = [];
  if (target) {
    const field = columnField();
    body.startTime = tz.wallToIso(target.start, state.zone);
    const moved = { ...appt, startTime: body.startTime, endTime: endOf(body.startTime, appt.duration) };
    if (target.resourceId) {
      body[field] = target.resourceId;
      moved[field] = target.resourceId;
    }
    shown = [moved];
  }
  try {
    const [copy] = await optimisticCreate(shown, `Copy of ${patientName(appt.patientId)}`, () =>
      api(`/api/booking/appointments/${appt.id}/duplicate`, {
        method: "POST",
        json: body,
        headers: { "Idempotency-Key": uuid() },
      }),
    );
    toast(`Copied to ${tz.describe(copy.startTime, state.zone)} (${resourceName(copy[columnField()])}).`, "ok");
    if (!visible(copy)) calendar().setOption("date", tz.toWall(copy.startTime, state.zone).slice(0, 10));
  } catch (err) {
    toast(`Not copied: ${explain(err)}`, "error");
  }
}

/** @param {Appointment} appt @param {string} status */
export async function setStatus(appt, status) {
  try {
    const { data } = await api(`/api/booking/appointments/${appt.id}`, {
      method: "PUT",
      json: { status },
      headers: ifMatch(appt),
    });
    applyServer(data);
    toast(`${patientName(data.patientId)}: ${status.toLowerCase().replace("_", " ")}.`, "ok");
  } catch (err) {
    toast(`Status not changed: ${explain(err)}`, "error");
  }
}

/**
 * Cancels an appointment: the block goes at once and comes back if the server refuses.
 * @param {Appointment} appt @param {string} reason @param {boolean} waiveFee
 */
export async function cancel(appt, reason, waiveFee) {
  const params = new URLSearchParams({ reason, waiveFee: String(waiveFee) });
  try {
    const data = await optimistic(appt, null, async () => {
      const { data } = await api(`/api/booking/appointments/${appt.id}?${params}`, {
        method: "DELETE",
        headers: ifMatch(appt),
      });
      return /** @type {CancelledAppointment} */ (data);
    });
    const fee = data.cancellationFee;
    const cancelled = `Cancelled${fee ? `; late-cancellation fee ${money(fee.amount, fee.currency)} recorded` : ""}.`;
    toast(cancelled, "ok");
    const fits = await findWaitlistFits(appt);
    if (fits) toast(`${cancelled} ${fits} on the waitlist fit${fits === 1 ? "s" : ""} this time: click the freed time to see who.`, "ok");
  } catch (err) {
    toast(`Not cancelled: ${explain(err)}`, "error");
  }
}
