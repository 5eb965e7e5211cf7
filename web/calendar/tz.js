// @ts-check
// Clinic time zone <-> the calendar's wall clock.
//
// EventCalendar accepts only 'local', 'UTC' or a fixed offset as its time zone, and a clinic has
// an IANA zone with daylight saving. So the calendar runs in 'UTC' and is fed *floating*
// clinic-local wall-clock strings; its Date objects then carry the clinic's wall clock in their
// UTC fields. These helpers convert between that wall clock and real UTC instants with Intl.

/** @type {Map<string, Intl.DateTimeFormat>} */
const formatters = new Map();

/** @param {string} zone */
function formatter(zone) {
  let found = formatters.get(zone);
  if (!found) {
    found = new Intl.DateTimeFormat("en-GB", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(zone, found);
  }
  return found;
}

/** @param {number} instantMs @param {string} zone @returns {Record<string, string>} */
function parts(instantMs, zone) {
  /** @type {Record<string, string>} */
  const out = {};
  for (const p of formatter(zone).formatToParts(new Date(instantMs))) out[p.type] = p.value;
  return out;
}

// Milliseconds to add to a UTC instant to get the zone's wall clock at that instant.
/** @param {number} instantMs @param {string} zone */
function offsetAt(instantMs, zone) {
  const p = parts(instantMs, zone);
  const wall = Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second);
  return wall - Math.floor(instantMs / 1000) * 1000;
}

/** @param {number} n */
const pad = (n) => String(n).padStart(2, "0");

// "2026-11-27T09:00:00Z" (any ISO instant) -> "2026-11-27T09:00:00" on the clinic's clock.
/** @param {string} iso @param {string} zone */
export function toWall(iso, zone) {
  const p = parts(Date.parse(iso), zone);
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}`;
}

// A calendar Date (wall clock in its UTC fields) -> the real instant as an ISO string with Z.
// In the hour that daylight saving skips, the later offset wins (like Python's fold=0 then
// normalisation); the server validates the result either way.
/** @param {Date} wallDate @param {string} zone */
export function wallToIso(wallDate, zone) {
  const wall = wallDate.getTime();
  let instant = wall - offsetAt(wall, zone);
  const corrected = wall - offsetAt(instant, zone);
  if (corrected !== instant) instant = corrected;
  return new Date(instant).toISOString().replace(".000Z", "Z");
}

// A calendar Date -> "YYYY-MM-DDTHH:MM:SS" (the same wall clock, as a floating string).
/** @param {Date} wallDate */
export function wallString(wallDate) {
  const d = wallDate;
  return (
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}` +
    `T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`
  );
}

// "YYYY-MM-DDTHH:MM:SS" -> calendar Date.
/** @param {string} wall */
export function wallDate(wall) {
  return new Date(`${wall}Z`);
}

// Today's date on the clinic's clock, "YYYY-MM-DD".
/** @param {string} zone */
export function clinicToday(zone) {
  return toWall(new Date().toISOString(), zone).slice(0, 10);
}

/** @param {Date} wallDate @param {number} days */
export function addDays(wallDate, days) {
  return new Date(wallDate.getTime() + days * 86400000);
}

/** @param {Date} wallDate */
export function hhmm(wallDate) {
  return `${pad(wallDate.getUTCHours())}:${pad(wallDate.getUTCMinutes())}`;
}

// For people: "Thu 27 Nov 09:00" on the clinic's clock.
/** @param {string} iso @param {string} zone */
export function describe(iso, zone) {
  return new Intl.DateTimeFormat("en-GB", {
    timeZone: zone,
    weekday: "short",
    day: "numeric",
    month: "short",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).format(new Date(iso));
}
