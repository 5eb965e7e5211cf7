// @ts-check
// What the page holds between events: the signed-in user, the clinic's configuration, the
// appointments of the loaded days and the user's selection. Every module reads it from here;
// the calendar is redrawn only by refetch(), which asks the event sources again.

/** @type {Record<ResourceKind, ResourceField>} */
export const FIELD = { provider: "providerId", chair: "chairId", room: "roomId", assistant: "assistantId" };
export const MOVABLE = new Set(["SCHEDULED", "CONFIRMED"]);

/**
 * @typedef {object} PendingBooking
 * @property {Placement[]} parts what the calendar shows while the server books it
 * @property {string} label
 */

export const state = {
  /** @type {Me | null} */
  me: null,
  /** @type {ClinicRead | null} */
  clinic: null,
  zone: "UTC",
  /** @type {Map<string, AppointmentType>} */
  types: new Map(),
  /** @type {Resource[]} */
  providers: [],
  /** @type {Resource[]} */
  chairs: [],
  /** @type {Resource[]} */
  rooms: [],
  /** @type {Resource[]} the clinic's active assistants (none: no assistant columns) */
  assistants: [],
  /** @type {Map<string, string>} patient id -> "First Last" */
  patients: new Map(),
  /** @type {Map<string, Appointment>} id -> the server's row, or its optimistic stand-in */
  appointments: new Map(),
  /** @type {Map<string, PendingBooking>} bookings shown while the server decides */
  pending: new Map(),
  /** @type {ResourceKind} */
  mode: "provider",
  /** @type {{start: Date, end: Date} | null} the visible days (calendar Dates) */
  range: null,
  /** @type {Suggestion[]} */
  suggestions: [],
  /** @type {string | null} */
  selectedId: null,
  /** @type {string | null} */
  clipboardId: null,
  /** @type {{start: Date, resourceId: string | undefined} | null} */
  pasteTarget: null,
  /** @type {{id: string} | null} the patient shown in the panel */
  patient: null,
};

/** The calendar and the live channel, once signed in. */
export const cal = {
  /** @type {EC.Calendar | null} */
  ec: null,
  /** @type {import("./live.js").Live | null} */
  live: null,
  /** While a block is dragged, redraws wait: a refetch would drop the dragged block. */
  dragging: false,
  redrawWaiting: false,
};

/** Redraws every event from the sources (appointments, schedule background, suggestions). */
export function refetch() {
  if (!cal.ec) return;
  if (cal.dragging) {
    cal.redrawWaiting = true;
    return;
  }
  cal.redrawWaiting = false;
  cal.ec.refetchEvents();
}

/** @type {(() => void)[]} */
const waitingForDrop = [];

/** @param {boolean} dragging */
export function setDragging(dragging) {
  cal.dragging = dragging;
  if (dragging) return;
  for (const resume of waitingForDrop.splice(0)) resume();
  if (cal.redrawWaiting) refetch();
}

/**
 * Resolves once no block is being dragged. The event sources wait for it before answering, so
 * data that arrives mid-drag (a reload after the live channel connects, say) never replaces the
 * events under the pointer.
 * @returns {Promise<void>}
 */
export function whenIdle() {
  if (!cal.dragging) return Promise.resolve();
  return new Promise((resolve) => waitingForDrop.push(resolve));
}

/**
 * Thrown by an event source whose window the calendar no longer shows (it navigated on before
 * the answer came): EventCalendar treats it as a failed fetch and keeps the newer window's events.
 */
export class Superseded extends Error {}

/** The calendar; only called once signed in. */
export function calendar() {
  if (!cal.ec) throw new Error("The calendar is not open");
  return cal.ec;
}

export function clinic() {
  if (!state.clinic) throw new Error("No clinic loaded");
  return state.clinic;
}

/** The field of a booking that names the current columns' resource. */
export function columnField() {
  return FIELD[state.mode];
}

/**
 * The columns a clinic starts with: chairs where it has them (an orthodontic clinic's natural
 * view, one doctor moving between chairs), else providers.
 * @returns {ResourceKind}
 */
export function defaultMode() {
  return state.chairs.length ? "chair" : "provider";
}

/**
 * Whether the clinic can be shown in these columns: assistant columns only where it has
 * assistants.
 * @param {string | null} mode
 * @returns {mode is ResourceKind}
 */
export function offersMode(mode) {
  if (!mode || !(mode in FIELD)) return false;
  return mode !== "assistant" || state.assistants.length > 0;
}

/** The resources shown as columns. */
export function columns() {
  return { provider: state.providers, chair: state.chairs, room: state.rooms, assistant: state.assistants }[state.mode];
}

/** @param {string | null | undefined} id */
export function resourceName(id) {
  const all = [...state.providers, ...state.chairs, ...state.rooms, ...state.assistants];
  return all.find((r) => r.id === id)?.name ?? "—";
}

/** @param {string} id */
export function typeName(id) {
  return state.types.get(id)?.name ?? "Appointment";
}

/** @param {string} id */
export function patientName(id) {
  return state.patients.get(id) ?? "";
}

/** @param {Placement} part the resources of a booking part, named */
export function placeNames(part) {
  return [part.providerId, part.chairId, part.roomId, part.assistantId].filter(Boolean).map(resourceName).join(", ");
}

/** @param {string} permission */
export function may(permission) {
  return Boolean(state.me?.permissions.includes(permission));
}

/** Whether the user may change this appointment (a provider only their own). @param {Appointment} appt */
export function canModify(appt) {
  if (!state.me || !may("booking:modify_appointment")) return false;
  return state.me.role !== "provider" || appt.providerId === state.me.providerId;
}

export function selected() {
  return state.selectedId ? state.appointments.get(state.selectedId) ?? null : null;
}
