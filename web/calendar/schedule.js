// @ts-check
// The schedule background event source: working hours, breaks and template slots exactly as
// the booking engine expands them, from GET /api/schedule/hours. Nothing about the template's
// rules is worked out here; the page only shades what the server lists (closed time is the
// rest of the displayed day) and sizes the grid to the hours it has seen.

import { explain, getJson } from "./api.js";
import { barId, barProviders, isBar } from "./doctor_time.js";
import { el, toast } from "./dom.js";
import { cal, columns, state, Superseded, typeName, whenIdle } from "./state.js";
import * as tz from "./tz.js";

/** Without any hours yet (no schedule), the grid shows a plain working day. */
const DEFAULT_BOUNDS = { lo: 7 * 60, hi: 19 * 60 };
/** The grid's first and last minute of the day: only ever widened, so it never jumps back. */
let bounds = /** @type {{lo: number, hi: number} | null} */ (null);
/** @type {Map<string, Promise<ScheduleHours>>} the hours of recently shown windows */
const cache = new Map();
let wanted = "";

export const scheduleSource = {
  /** @param {EC.FetchInfo} info */
  events: async (info) => {
    const from = tz.wallToIso(info.start, state.zone);
    const to = tz.wallToIso(info.end, state.zone);
    const key = `${from}|${to}`;
    wanted = key;
    let hours;
    try {
      hours = await hoursFor(key, from, to);
    } catch (err) {
      toast(`Working hours not loaded: ${explain(err)}`, "error");
      throw err;
    }
    await whenIdle();
    if (wanted !== key) throw new Superseded(key);
    widen(hours);
    return background(hours);
  },
};

/**
 * The server's hours may have changed (e.g. after a reconnect): ask it again. Signing in afresh
 * (`grid`) also lets the grid's hours start again from the new clinic's.
 * @param {{grid?: boolean}} [options]
 */
export function forgetSchedule({ grid = false } = {}) {
  cache.clear();
  if (grid) bounds = null;
}

/** @param {string} key @param {string} from @param {string} to */
function hoursFor(key, from, to) {
  let hours = cache.get(key);
  if (!hours) {
    hours = /** @type {Promise<ScheduleHours>} */ (
      getJson(`/api/schedule/hours?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`)
    );
    hours.catch(() => cache.delete(key)); // a failed load is tried again on the next fetch
    if (cache.size >= 8) cache.delete(cache.keys().next().value ?? "");
    cache.set(key, hours);
  }
  return hours;
}

/** "HH:MM" -> minutes since midnight. @param {string} wall "YYYY-MM-DDTHH:MM:SS" */
function minuteOfDay(wall) {
  return +wall.slice(11, 13) * 60 + +wall.slice(14, 16);
}

/** @param {number} minutes @returns {string} */
function clock(minutes) {
  return `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;
}

/** The grid's first and last hour: the earliest opening to the latest closing, an hour either side. */
export function dayBounds() {
  const { lo, hi } = bounds ?? DEFAULT_BOUNDS;
  return /** @type {const} */ ([clock(lo), clock(hi)]);
}

/** Grows the grid to take in every opening the server listed. @param {ScheduleHours} hours */
function widen(hours) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const resource of hours.resources) {
    for (const day of resource.days) {
      for (const span of day.hours) {
        const start = tz.toWall(span.startTime, state.zone);
        const end = tz.toWall(span.endTime, state.zone);
        lo = Math.min(lo, minuteOfDay(start));
        // Open until midnight (or past it): the grid runs to the end of the day.
        hi = Math.max(hi, end.slice(0, 10) > start.slice(0, 10) ? 24 * 60 : minuteOfDay(end));
      }
    }
  }
  if (lo === Infinity) return;
  const next = {
    lo: Math.max(0, (Math.floor(lo / 60) - 1) * 60),
    hi: Math.min(24 * 60, (Math.ceil(hi / 60) + 1) * 60),
  };
  if (bounds) next.lo = Math.min(next.lo, bounds.lo);
  if (bounds) next.hi = Math.max(next.hi, bounds.hi);
  if (bounds && next.lo === bounds.lo && next.hi === bounds.hi) return;
  bounds = next;
  if (!cal.ec) return;
  const [min, max] = dayBounds();
  cal.ec.setOption("slotMinTime", `${min}:00`);
  cal.ec.setOption("slotMaxTime", `${max}:00`);
  cal.ec.setOption("scrollTime", `${min}:00`);
}

/**
 * @param {string} start @param {string} end floating wall-clock strings
 * @param {string} resourceId @param {string} label @param {"closed" | "break" | "reserved"} kind
 * @returns {EC.EventInput}
 */
function shade(start, end, resourceId, label, kind) {
  return {
    start,
    end,
    resourceIds: [resourceId],
    display: "background",
    classNames: [`bg-${kind}`, ...(isBar(resourceId) ? ["in-bar"] : [])],
    extendedProps: { kind: "background", label },
  };
}

/**
 * The column a resource's hours are drawn in: its own, or a provider's bar (so the bar shows
 * when the doctor works), or none.
 * @param {ResourceRef} ref @param {Set<string>} shown @param {Set<string>} barred
 */
function columnOf(ref, shown, barred) {
  if (ref.resourceType === state.mode && shown.has(ref.resourceId)) return ref.resourceId;
  if (ref.resourceType === "provider" && barred.has(ref.resourceId)) return barId(ref.resourceId);
  return null;
}

/** @param {ScheduleHours} hours @returns {EC.EventInput[]} */
function background(hours) {
  const shown = new Set(columns().map((r) => r.id));
  const barred = new Set(barProviders().map((p) => p.id));
  const [min, max] = dayBounds();
  /** @type {EC.EventInput[]} */
  const out = [];
  for (const resource of hours.resources) {
    const id = columnOf(resource, shown, barred);
    if (!id) continue;
    for (const day of resource.days) {
      const dayStart = `${day.date}T${min}:00`;
      const dayEnd =
        max === "24:00"
          ? tz.wallString(tz.addDays(tz.wallDate(`${day.date}T00:00:00`), 1))
          : `${day.date}T${max}:00`;
      const reason = day.exception?.reason || null;
      const open = day.hours
        .map((h) => [tz.toWall(h.startTime, state.zone), tz.toWall(h.endTime, state.zone)])
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      if (!open.length) {
        out.push(shade(dayStart, dayEnd, id, reason || "Not working", "closed"));
        continue;
      }
      const first = open[0][0];
      const last = open.reduce((latest, [, end]) => (end > latest ? end : latest), open[0][1]);
      if (first > dayStart) out.push(shade(dayStart, first, id, reason || "Closed", "closed"));
      for (const gap of day.breaks) {
        out.push(shade(tz.toWall(gap.startTime, state.zone), tz.toWall(gap.endTime, state.zone), id, gap.label, "break"));
      }
      if (last < dayEnd) out.push(shade(last, dayEnd, id, "Closed", "closed"));
    }
  }
  for (const slot of hours.templateSlots) {
    const label = `${slot.name || "Reserved"}: ${slot.appointmentTypeIds.map(typeName).join(", ")}`;
    for (const ref of slot.appliesTo) {
      if (ref.resourceType !== state.mode || !shown.has(ref.resourceId)) continue;
      out.push(
        shade(tz.toWall(slot.startTime, state.zone), tz.toWall(slot.endTime, state.zone), ref.resourceId, label, "reserved"),
      );
    }
  }
  return out;
}

/** The label a background stretch shows. @param {EC.Event} ev @returns {EC.Content} */
export function backgroundContent(ev) {
  const props = ev.extendedProps;
  return { domNodes: [el("span", "bg-label", "label" in props ? props.label : "")] };
}
