// @ts-check
// Doctor time on the calendar: a band inside each block for the minutes its provider is needed,
// and the provider bar (Open Dental's name): one narrow column per provider beside the chair or
// room columns, showing where each doctor is needed and flagging time needed twice (booked over
// a conflict). Which minutes need the provider is the server's word, each appointment's
// `providerTime`; nothing here decides a rule, it only draws those intervals.

import { el } from "./dom.js";
import { patientName, resourceName, state, typeName } from "./state.js";
import * as tz from "./tz.js";

/** Resource ids of the bar's columns: the provider's id behind a prefix no real id has. */
const BAR = "bar:";
/** Not held by their provider any more (the database's double-booking guard leaves them out too). */
const RELEASED = new Set(["CANCELLED", "NO_SHOW"]);

/** @param {string} providerId */
export function barId(providerId) {
  return `${BAR}${providerId}`;
}

/** Whether a calendar column is a provider bar (it takes no bookings). @param {string | undefined} id */
export function isBar(id) {
  return typeof id === "string" && id.startsWith(BAR);
}

/** The providers with a bar: every provider, unless the columns already are the providers. */
export function barProviders() {
  return state.mode === "provider" ? [] : state.providers;
}

/**
 * One interval of an appointment's provider time, as instants (ms) for comparing.
 * @typedef {{appt: Appointment, start: number, end: number}} Need
 */

/** @param {Appointment} appt @returns {Need[]} */
function needs(appt) {
  return appt.providerTime.map((s) => ({ appt, start: Date.parse(s.startTime), end: Date.parse(s.endTime) }));
}

/** "10:05–10:10" on the clinic's clock. @param {number} start @param {number} end */
function span(start, end) {
  const at = (/** @type {number} */ ms) => tz.toWall(new Date(ms).toISOString(), state.zone).slice(11, 16);
  return `${at(start)}\u2013${at(end)}`;
}

/** "Adjustment, Olivia Hart (Chair 3)". @param {Appointment} appt */
function what(appt) {
  const place = appt.chairId ?? appt.roomId;
  const where = place ? ` (${resourceName(place)})` : "";
  return `${typeName(appt.appointmentTypeId)}, ${patientName(appt.patientId) || "a patient"}${where}`;
}

/** The overlapping pairs of one provider's needs, sorted by start. @param {Need[]} sorted */
function overlaps(sorted) {
  /** @type {{a: Need, b: Need, start: number, end: number}[]} */
  const out = [];
  for (let i = 0; i < sorted.length; i++) {
    const a = sorted[i];
    for (let j = i + 1; j < sorted.length && sorted[j].start < a.end; j++) {
      const b = sorted[j];
      if (b.appt.id === a.appt.id) continue;
      out.push({ a, b, start: b.start, end: Math.min(a.end, b.end) });
    }
  }
  return out;
}

/** Each provider's needs among the shown appointments, sorted by start. */
function needsByProvider() {
  /** @type {Map<string, Need[]>} */
  const byProvider = new Map();
  for (const appt of state.appointments.values()) {
    if (!appt.providerId || RELEASED.has(appt.status) || appt.deletedAt) continue;
    const list = byProvider.get(appt.providerId) ?? [];
    list.push(...needs(appt));
    byProvider.set(appt.providerId, list);
  }
  for (const list of byProvider.values()) list.sort((x, y) => x.start - y.start || x.end - y.end);
  return byProvider;
}

/** Ids of the appointments whose provider time overlaps another's: their bands are flagged. */
export function overlapping() {
  /** @type {Set<string>} */
  const ids = new Set();
  for (const list of needsByProvider().values()) {
    for (const { a, b } of overlaps(list)) ids.add(a.appt.id).add(b.appt.id);
  }
  return ids;
}

/**
 * The provider bar's events for the calendar's range: per provider the union of their provider
 * time (a background stretch naming what it is for) and, above it, each stretch where two
 * appointments need them at once.
 * @param {Date} start @param {Date} end the range as calendar Dates (wall clock)
 * @returns {EC.EventInput[]}
 */
export function barEvents(start, end) {
  const from = Date.parse(tz.wallToIso(start, state.zone));
  const to = Date.parse(tz.wallToIso(end, state.zone));
  const byProvider = needsByProvider();
  /** @type {EC.EventInput[]} */
  const out = [];
  for (const provider of barProviders()) {
    const list = (byProvider.get(provider.id) ?? []).filter((n) => n.end > from && n.start < to);
    const wall = (/** @type {number} */ ms) => tz.toWall(new Date(ms).toISOString(), state.zone);
    /** @type {{start: number, end: number, for: Need[]}[]} */
    const merged = [];
    for (const need of list) {
      const last = merged.at(-1);
      // Touching intervals join too: the doctor going straight from one chair to the next.
      if (last && need.start <= last.end) {
        last.end = Math.max(last.end, need.end);
        last.for.push(need);
      } else merged.push({ start: need.start, end: need.end, for: [need] });
    }
    for (const stretch of merged) {
      const label = [
        `${provider.name} needed ${span(stretch.start, stretch.end)}`,
        ...stretch.for.map((n) => `${span(n.start, n.end)} ${what(n.appt)}`),
      ].join("\n");
      out.push({
        start: wall(stretch.start),
        end: wall(stretch.end),
        resourceIds: [barId(provider.id)],
        display: "background",
        backgroundColor: provider.color || undefined,
        classNames: ["bar-time"],
        extendedProps: { kind: "bar", label },
      });
    }
    for (const clash of overlaps(list)) {
      const override = clash.a.appt.conflictOverride || clash.b.appt.conflictOverride ? " (booked with an override)" : "";
      out.push({
        id: `overlap-${clash.a.appt.id}-${clash.b.appt.id}-${clash.start}`,
        start: wall(clash.start),
        end: wall(clash.end),
        resourceIds: [barId(provider.id)],
        classNames: ["bar-overlap"],
        editable: false,
        extendedProps: {
          kind: "overlap",
          label:
            `${provider.name} is needed twice ${span(clash.start, clash.end)}: ` +
            `${what(clash.a.appt)} and ${what(clash.b.appt)}${override}`,
        },
      });
    }
  }
  return out;
}

/**
 * The bands of one block (an appointment or a suggestion): a stripe at the block's edge for each
 * interval of its provider time, placed by its offset in the block. Buffers the server counts as
 * provider time (types without a pattern hold the provider through them) lie outside the block
 * and are cut off here; the bar shows them whole.
 * @param {Placement & {providerTime: TimeSpan[]}} part
 * @param {boolean} flagged its provider time overlaps another appointment's
 * @returns {HTMLElement[]}
 */
export function bands(part, flagged) {
  const start = Date.parse(part.startTime);
  const length = Date.parse(part.endTime) - start;
  if (!(length > 0)) return [];
  const who = resourceName(part.providerId);
  return part.providerTime.flatMap((interval) => {
    const need = { start: Date.parse(interval.startTime), end: Date.parse(interval.endTime) };
    const top = Math.max(0, need.start - start);
    const bottom = Math.min(length, need.end - start);
    if (bottom <= top) return [];
    const band = el("span", flagged ? "provider-band band-overlap" : "provider-band");
    band.style.top = `${(100 * top) / length}%`;
    band.style.height = `${(100 * (bottom - top)) / length}%`;
    band.title = `${who} needed ${span(need.start, need.end)}`;
    band.dataset.startTime = new Date(need.start).toISOString();
    band.dataset.endTime = new Date(need.end).toISOString();
    return [band];
  });
}

/** Moves provider time with its appointment (a drag shown before the server answers). @param {Appointment} appt @param {string} startTime @returns {TimeSpan[]} */
export function shiftedTime(appt, startTime) {
  const by = Date.parse(startTime) - Date.parse(appt.startTime);
  return appt.providerTime.map((s) => ({
    startTime: new Date(Date.parse(s.startTime) + by).toISOString(),
    endTime: new Date(Date.parse(s.endTime) + by).toISOString(),
  }));
}

/** A bar column's header: the provider's initials, their name for people who hover. @param {Resource} provider */
export function barLabel(provider) {
  const initials = provider.name
    .split(/\s+/)
    .filter((w) => w && !/^(dr|mr|mrs|ms|prof)\.?$/i.test(w))
    .map((w) => w[0])
    .join("")
    .toUpperCase();
  const head = el("span", "bar-head", initials || provider.name);
  head.title = `${provider.name}: where they are needed`;
  head.setAttribute("aria-label", `Provider bar: ${provider.name}`);
  return head;
}

/** What a bar stretch or an overlap shows: nothing to read at this width, so the label is its title. @param {EC.Event} ev @returns {EC.Content} */
export function barContent(ev) {
  const props = ev.extendedProps;
  const label = "label" in props ? props.label : "";
  const node = el("span", props.kind === "overlap" ? "bar-clash" : "bar-need", props.kind === "overlap" ? "!" : "");
  node.title = label;
  node.setAttribute("aria-label", label);
  return { domNodes: [node] };
}
