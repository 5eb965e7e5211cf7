// @ts-check
// The appointments event source: the visible days' appointments from the server, kept in
// state.appointments, plus the bookings still being saved and the provider bar drawn from them. Live messages and server answers
// change that state and call refetch(); the calendar then asks this source again.

import { explain, getAll, getJson } from "./api.js";
import { bands, barEvents, overlapping } from "./doctor_time.js";
import { el, toast } from "./dom.js";
import { canModify, columnField, MOVABLE, refetch, state, Superseded, typeName, whenIdle } from "./state.js";
import * as tz from "./tz.js";

/** The window the appointments in state were loaded for, and whether a reload is due. */
const loaded = {
  key: "",
  stale: true,
  /** @type {Promise<void> | null} */
  inFlight: null,
  /** the window the calendar asked for last */
  wanted: "",
};

/** Appointments whose provider time overlaps another's, as of the last fetch: their bands are red. */
let flagged = /** @type {Set<string>} */ (new Set());

/** Every event of the appointments source for the calendar's range. */
export const appointmentSource = {
  /** @param {EC.FetchInfo} info */
  events: async (info) => {
    let key;
    try {
      key = await load(info.start, info.end);
    } catch (err) {
      toast(`Appointments not loaded: ${explain(err)}`, "error");
      throw err;
    }
    await whenIdle();
    if (key !== loaded.wanted) throw new Superseded(key);
    return events(info.start, info.end);
  },
};

/** Signed in afresh (perhaps as someone else): nothing of the last session's rows is shown. */
export function forgetAppointments() {
  state.appointments.clear();
  state.pending.clear();
  loaded.key = "";
  loaded.stale = true;
}

/** The next fetch reloads from the server (after a reconnect something may have been missed). */
export function reloadAppointments() {
  loaded.stale = true;
  refetch();
}

/**
 * Loads the appointments of a window once; the same window again is served from state.
 * @param {Date} start @param {Date} end
 * @returns {Promise<string>} the window's key
 */
async function load(start, end) {
  const from = tz.wallToIso(start, state.zone);
  const to = tz.wallToIso(end, state.zone);
  const key = `${from}|${to}`;
  loaded.wanted = key;
  if (key === loaded.key && !loaded.stale) {
    // Asked again before the first answer: wait for it rather than draw a half-loaded window.
    if (loaded.inFlight) await loaded.inFlight;
    return key;
  }
  loaded.key = key;
  loaded.stale = false;
  const request = (async () => {
    const items = await getAll(
      `/api/booking/appointments?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`,
      1000,
      20000,
    );
    await ensurePatients(items.map((a) => a.patientId));
    // Navigated on meanwhile: the newer window's load owns the state.
    if (loaded.wanted !== key) return;
    /** @type {Map<string, Appointment>} */
    const fresh = new Map();
    for (const appt of /** @type {Appointment[]} */ (items)) {
      const known = state.appointments.get(appt.id);
      // A live message may have brought a newer version while the list was on its way.
      fresh.set(appt.id, known && known.version > appt.version ? known : appt);
    }
    state.appointments = fresh;
  })();
  loaded.inFlight = request;
  try {
    await request;
  } catch (err) {
    loaded.stale = true; // try again on the next fetch
    throw err;
  } finally {
    if (loaded.inFlight === request) loaded.inFlight = null;
  }
  return key;
}

/** @param {Appointment} appt @param {Date} start @param {Date} end */
function within(appt, start, end) {
  if (appt.status === "CANCELLED" || appt.deletedAt) return false;
  const from = tz.wallDate(tz.toWall(appt.startTime, state.zone));
  const to = tz.wallDate(tz.toWall(appt.endTime, state.zone));
  return to > start && from < end;
}

/** Whether the appointment lies in the visible days. @param {Appointment} appt */
export function visible(appt) {
  return state.range !== null && within(appt, state.range.start, state.range.end);
}

/** @param {Date} start @param {Date} end @returns {EC.EventInput[]} */
function events(start, end) {
  const field = columnField();
  flagged = overlapping();
  /** @type {EC.EventInput[]} */
  const out = barEvents(start, end);
  for (const appt of state.appointments.values()) {
    const resourceId = appt[field];
    // e.g. a scan (room only) while the columns are chairs
    if (!resourceId || !within(appt, start, end)) continue;
    const movable = MOVABLE.has(appt.status) && canModify(appt);
    out.push({
      id: appt.id,
      resourceIds: [resourceId],
      start: tz.toWall(appt.startTime, state.zone),
      end: tz.toWall(appt.endTime, state.zone),
      backgroundColor: state.types.get(appt.appointmentTypeId)?.color || "#4a7bd0",
      classNames: ["appt", `status-${appt.status.toLowerCase()}`, ...(flagged.has(appt.id) ? ["doctor-overlap"] : [])],
      startEditable: movable,
      durationEditable: movable,
      extendedProps: { kind: "appointment" },
    });
  }
  for (const [id, booking] of state.pending) {
    booking.parts.forEach((part, i) => {
      const resourceId = part[field];
      if (!resourceId) return;
      out.push({
        id: `${id}-${i}`,
        resourceIds: [resourceId],
        start: tz.toWall(part.startTime, state.zone),
        end: tz.toWall(part.endTime, state.zone),
        classNames: ["appt", "pending"],
        editable: false,
        extendedProps: { kind: "pending", label: booking.label },
      });
    });
  }
  return out;
}

/**
 * What an appointment or a booking being saved shows inside its block.
 * @param {EC.Event} ev
 * @returns {EC.Content | undefined}
 */
export function appointmentContent(ev) {
  const props = ev.extendedProps;
  if (props.kind === "pending") {
    return { domNodes: [el("div", "appt-body", el("strong", "", props.label), " ", el("em", "", "saving…"))] };
  }
  const appt = state.appointments.get(ev.id);
  if (!appt) return undefined;
  const body = el(
    "div",
    "appt-body",
    el("div", "appt-line appt-time", `${tz.hhmm(ev.start)}–${tz.hhmm(ev.end)}`),
    el("div", "appt-line", el("strong", "appt-patient", state.patients.get(appt.patientId) || "…")),
    el(
      "div",
      "appt-line",
      el("span", "appt-type", typeName(appt.appointmentTypeId)),
      " · ",
      el("span", "appt-status", appt.status.replace("_", " ").toLowerCase()),
    ),
  );
  body.dataset.appointmentId = appt.id;
  return { domNodes: [body, ...bands(appt, flagged.has(appt.id))] };
}

/**
 * The server's word on appointments: shown (or removed) unless the page already holds a
 * newer version, then redrawn.
 * @param {...Appointment} rows
 */
export function applyServer(...rows) {
  for (const appt of rows) {
    const known = state.appointments.get(appt.id);
    if (known && known.version > appt.version) continue;
    if (!appt.startTime || appt.status === "CANCELLED" || appt.deletedAt) state.appointments.delete(appt.id);
    else state.appointments.set(appt.id, appt);
  }
  refetch();
}

/** Reloads one appointment (after a 412 the page's copy is out of date). @param {string} id */
export async function reloadOne(id) {
  try {
    applyServer(await getJson(`/api/booking/appointments/${id}`));
  } catch {
    /* gone: the live channel or the next load says so */
  }
}

/** @param {Patient} p */
export function rememberPatient(p) {
  state.patients.set(p.id, `${p.firstName} ${p.lastName}`);
}

/** Names of the patients the calendar shows. @param {string[]} ids */
export async function ensurePatients(ids) {
  const missing = [...new Set(ids)].filter((id) => !state.patients.has(id));
  if (!missing.length) return;
  if (missing.length > 20) {
    for (const p of await getAll("/api/patients")) rememberPatient(p);
  }
  await Promise.all(
    missing
      .filter((id) => !state.patients.has(id))
      .map(async (id) => {
        try {
          rememberPatient(await getJson(`/api/patients/${id}`));
        } catch {
          state.patients.set(id, "Unknown patient");
        }
      }),
  );
}
