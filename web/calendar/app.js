// The staff calendar: EventCalendar's resource time grid wired to the booking API and the live
// channel. Every change is shown at once (optimistic) and rolled back, with the server's
// explanation, when the server refuses it.

import { api, ApiError, explain, getAll, getJson, login, setUnauthorizedHandler, token } from "./api.js";
import { Live } from "./live.js";
import * as tz from "./tz.js";

const $ = (sel) => document.querySelector(sel);
const MOVABLE = new Set(["SCHEDULED", "CONFIRMED"]);
const FIELD = { provider: "providerId", chair: "chairId", room: "roomId" };

const state = {
  me: null,
  clinic: null,
  zone: "UTC",
  types: new Map(),
  providers: [],
  chairs: [],
  rooms: [],
  template: null,
  patients: new Map(), // id -> "First Last"
  appointments: new Map(), // id -> the server's AppointmentRead
  mode: "provider",
  range: null, // {start, end} calendar Dates of the visible days
  suggestions: [],
  selectedId: null,
  clipboardId: null,
  pasteTarget: null, // {start: Date, resourceId}
  patient: null, // the patient shown in the panel
  quick: null, // the quick-booking suggestion shown
};
let ec = null;
let live = null;

// ----------------------------------------------------------------------------- small helpers

function escapeHtml(text) {
  return String(text ?? "").replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c],
  );
}

let toastTimer = null;
function toast(message, kind = "info") {
  const el = $("#toast");
  el.textContent = message;
  el.dataset.kind = kind;
  el.hidden = false;
  clearTimeout(toastTimer);
  // Errors stay until the next message: no change is ever lost silently.
  if (kind !== "error") toastTimer = setTimeout(() => (el.hidden = true), 6000);
}

function uuid() {
  return crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`;
}

function resources() {
  return { provider: state.providers, chair: state.chairs, room: state.rooms }[state.mode];
}

function resourceName(id) {
  const all = [...state.providers, ...state.chairs, ...state.rooms];
  return all.find((r) => r.id === id)?.name ?? "—";
}

function typeName(id) {
  return state.types.get(id)?.name ?? "Appointment";
}

function minutesBetween(a, b) {
  return Math.round((b.getTime() - a.getTime()) / 60000);
}

function money(amount, currency) {
  try {
    return new Intl.NumberFormat("en-GB", { style: "currency", currency }).format(+amount);
  } catch {
    return `${amount} ${currency}`;
  }
}

// ----------------------------------------------------------------------------- events

function toEvent(appt) {
  const resourceId = appt[FIELD[state.mode]];
  if (!resourceId) return null; // e.g. a scan (room only) while columns are chairs
  const kind = state.types.get(appt.appointmentTypeId);
  const movable = MOVABLE.has(appt.status) && canModify(appt);
  return {
    id: appt.id,
    resourceIds: [resourceId],
    start: tz.toWall(appt.startTime, state.zone),
    end: tz.toWall(appt.endTime, state.zone),
    backgroundColor: kind?.color || "#4a7bd0",
    classNames: ["appt", `status-${appt.status.toLowerCase()}`],
    startEditable: movable,
    durationEditable: movable,
    extendedProps: { kind: "appointment" },
  };
}

function canModify(appt) {
  if (!state.me) return false;
  const perms = new Set(state.me.permissions);
  if (!perms.has("booking:modify_appointment")) return false;
  return state.me.role !== "provider" || appt.providerId === state.me.providerId;
}

function eventContent(info) {
  const ev = info.event;
  const props = ev.extendedProps || {};
  if (props.kind === "appointment") {
    const appt = state.appointments.get(ev.id);
    if (!appt) return "";
    const patient = state.patients.get(appt.patientId) || "…";
    const status = appt.status.replace("_", " ").toLowerCase();
    return {
      html:
        `<div class="appt-body" data-appointment-id="${escapeHtml(appt.id)}">` +
        `<div class="appt-line appt-time">${tz.hhmm(ev.start)}–${tz.hhmm(ev.end)}</div>` +
        `<div class="appt-line"><strong class="appt-patient">${escapeHtml(patient)}</strong></div>` +
        `<div class="appt-line"><span class="appt-type">${escapeHtml(typeName(appt.appointmentTypeId))}</span>` +
        ` · <span class="appt-status">${escapeHtml(status)}</span></div></div>`,
    };
  }
  if (props.kind === "pending") {
    return { html: `<div class="appt-body"><strong>${escapeHtml(props.label)}</strong> <em>saving…</em></div>` };
  }
  if (props.kind === "suggestion") {
    return { html: `<div class="suggestion-body">${escapeHtml(props.label)}</div>` };
  }
  return { html: `<span class="bg-label">${escapeHtml(props.label || "")}</span>` };
}

// Working hours, breaks and template slots of the visible days, as background events.
function backgroundEvents() {
  if (!state.range) return [];
  const out = [];
  const tpl = state.template;
  const [minT, maxT] = dayBounds();
  const kindKey = state.mode;
  for (let day = state.range.start; day < state.range.end; day = tz.addDays(day, 1)) {
    const date = tz.wallString(day).slice(0, 10);
    const wd = tz.weekday(day);
    for (const r of resources()) {
      let blocks = [];
      const exception = tpl?.exceptions.find(
        (e) => e.resourceType === kindKey && e.resourceId === r.id && e.date === date,
      );
      if (exception) blocks = exception.blocks.map((b) => [b.start, b.end]);
      else if (tpl)
        blocks = tpl.workingHours
          .filter((w) => w.resourceType === kindKey && w.resourceId === r.id && w.weekday === wd)
          .map((w) => [w.start, w.end]);
      blocks.sort();
      let cursor = minT;
      blocks.forEach(([s, e], i) => {
        if (s > cursor) {
          const label = i === 0 ? (exception ? exception.reason || "Closed" : "Closed") : s > "11:00" && cursor < "15:00" ? "Lunch" : "Break";
          out.push(shade(date, cursor, s, r.id, label, i === 0 ? "closed" : "break"));
        }
        cursor = e > cursor ? e : cursor;
      });
      if (cursor < maxT) out.push(shade(date, cursor, maxT, r.id, blocks.length ? "Closed" : exception?.reason || "Not working", "closed"));
      for (const slot of tpl?.templateSlots || []) {
        if (slot.weekday !== wd) continue;
        const owner = kindKey === "provider" ? slot.providerId : kindKey === "chair" ? slot.chairId : null;
        const everywhere = !slot.providerId && !slot.chairId;
        if (owner !== r.id && !everywhere) continue;
        const names = slot.appointmentTypeIds.map(typeName).join(", ");
        out.push({
          ...shade(date, slot.start, slot.end, r.id, `${slot.name || "Reserved"}: ${names}`, "reserved"),
        });
      }
    }
  }
  return out;
}

function shade(date, from, to, resourceId, label, cls) {
  return {
    start: `${date}T${from}:00`,
    end: `${date}T${to}:00`,
    resourceIds: [resourceId],
    display: "background",
    classNames: [`bg-${cls}`],
    extendedProps: { kind: "background", label },
  };
}

function dayBounds() {
  // The clinic's earliest opening to its latest closing, with an hour either side.
  const hours = state.template?.workingHours || [];
  if (!hours.length) return ["07:00", "19:00"];
  const toMin = (t) => +t.slice(0, 2) * 60 + +t.slice(3, 5);
  const lo = Math.min(...hours.map((w) => toMin(w.start)));
  const hi = Math.max(...hours.map((w) => toMin(w.end)));
  const from = Math.max(0, Math.floor(lo / 60) - 1);
  const to = Math.min(24, Math.ceil(hi / 60) + 1);
  const pad = (h) => `${String(h).padStart(2, "0")}:00`;
  return [pad(from), to === 24 ? "24:00" : pad(to)];
}

function suggestionEvents() {
  return state.suggestions.flatMap((s, rank) =>
    s.parts
      .filter((p) => p[FIELD[state.mode]])
      .map((p, i) => ({
        id: `suggest-${rank}-${i}`,
        resourceIds: [p[FIELD[state.mode]]],
        start: tz.toWall(p.startTime, state.zone),
        end: tz.toWall(p.endTime, state.zone),
        classNames: ["suggestion"],
        editable: false,
        extendedProps: {
          kind: "suggestion",
          rank,
          label: `#${rank + 1} ${typeName(p.appointmentTypeId)} (score ${Math.round(s.score)})`,
        },
      })),
  );
}

function renderAll() {
  if (!ec) return;
  const events = [];
  for (const appt of state.appointments.values()) {
    const ev = toEvent(appt);
    if (ev) events.push(ev);
  }
  ec.setOption("events", [...backgroundEvents(), ...events, ...suggestionEvents()]);
}

function visible(appt) {
  if (appt.status === "CANCELLED" || appt.deletedAt) return false;
  if (!state.range) return false;
  const start = tz.wallDate(tz.toWall(appt.startTime, state.zone));
  const end = tz.wallDate(tz.toWall(appt.endTime, state.zone));
  return end > state.range.start && start < state.range.end;
}

// The server's word on one appointment: show it (or remove it) unless we already hold a newer one.
function applyServer(appt) {
  const known = state.appointments.get(appt.id);
  if (known && known.version > appt.version) return;
  if (!visible(appt)) {
    state.appointments.delete(appt.id);
    if (ec.getEventById(appt.id)) ec.removeEventById(appt.id);
    return;
  }
  state.appointments.set(appt.id, appt);
  const ev = toEvent(appt);
  if (ec.getEventById(appt.id)) ec.removeEventById(appt.id);
  if (ev) ec.addEvent(ev);
}

async function ensurePatients(ids) {
  const missing = [...new Set(ids)].filter((id) => !state.patients.has(id));
  if (!missing.length) return;
  if (missing.length > 20) {
    for (const p of await getAll("/api/patients")) state.patients.set(p.id, `${p.firstName} ${p.lastName}`);
  }
  await Promise.all(
    missing
      .filter((id) => !state.patients.has(id))
      .map(async (id) => {
        try {
          const p = await getJson(`/api/patients/${id}`);
          state.patients.set(id, `${p.firstName} ${p.lastName}`);
        } catch {
          state.patients.set(id, "Unknown patient");
        }
      }),
  );
}

async function loadAppointments() {
  if (!state.range) return;
  const from = tz.wallToIso(state.range.start, state.zone);
  const to = tz.wallToIso(state.range.end, state.zone);
  const items = await getAll(
    `/api/booking/appointments?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`,
    1000,
    20000,
  );
  await ensurePatients(items.map((a) => a.patientId));
  state.appointments = new Map(items.map((a) => [a.id, a]));
  renderAll();
}

async function onLiveAppointment(msg) {
  const appt = msg.appointment;
  if (!appt.startTime) {
    state.appointments.delete(appt.id);
    if (ec.getEventById(appt.id)) ec.removeEventById(appt.id);
    return;
  }
  await ensurePatients([appt.patientId]);
  applyServer(appt);
  if (state.patient && appt.patientId === state.patient.id) refreshPatientPanel();
}

// ----------------------------------------------------------------------------- conflict probe

const probe = { active: false, key: null, inFlight: false, next: null, note: "" };

function probeRequest(event, resourceId) {
  const appt = state.appointments.get(event.id);
  if (!appt) return null;
  return {
    appointmentId: appt.id,
    startTime: tz.wallToIso(event.start, state.zone),
    duration: minutesBetween(event.start, event.end),
    [FIELD[state.mode]]: resourceId,
  };
}

function probeHover(info, minutes = null, note = "") {
  const ev = info.event;
  const resourceId = info.newResource?.id ?? ev.resourceIds[0];
  const span = minutes ?? minutesBetween(ev.start, ev.end);
  const key = `${ev.id}|${ev.start.getTime()}|${span}|${resourceId}`;
  if (key !== probe.key) {
    probe.key = key;
    probe.note = note;
    const req = probeRequest(ev, resourceId);
    if (req) {
      req.duration = span;
      setProbeState("checking", "Checking…");
      probe.next = { key, req };
      pumpProbe();
    }
  }
  return true; // the server has the last word on the drop; the probe only warns
}

async function pumpProbe() {
  if (probe.inFlight || !probe.next) return;
  const { key, req } = probe.next;
  probe.next = null;
  probe.inFlight = true;
  const reply = await live.probe(req);
  probe.inFlight = false;
  if (probe.active && key === probe.key && reply) {
    const note = probe.note ? `${probe.note} ` : "";
    if (reply.error) setProbeState("conflict", reply.error);
    else if (reply.ok) setProbeState("ok", `${note}Free`);
    else setProbeState("conflict", note + reply.conflicts.map((c) => c.message).join(" "));
  }
  pumpProbe();
}

function setProbeState(kind, text) {
  const root = $("#calendar");
  root.classList.toggle("drag-conflict", kind === "conflict");
  root.classList.toggle("drag-ok", kind === "ok");
  const tip = $("#probe-tip");
  tip.hidden = !probe.active;
  tip.dataset.state = kind;
  tip.textContent = text;
}

function startProbe() {
  probe.active = true;
  probe.key = null;
  document.addEventListener("mousemove", moveTip);
}

function stopProbe() {
  probe.active = false;
  probe.key = null;
  probe.next = null;
  document.removeEventListener("mousemove", moveTip);
  $("#calendar").classList.remove("drag-conflict", "drag-ok");
  $("#probe-tip").hidden = true;
}

function moveTip(e) {
  const tip = $("#probe-tip");
  tip.style.left = `${e.clientX + 16}px`;
  tip.style.top = `${e.clientY + 12}px`;
}

// ----------------------------------------------------------------------------- mutations

function ifMatch(appt) {
  return { "If-Match": `"${appt.version}"` };
}

async function onDrop(info) {
  stopProbe();
  const appt = state.appointments.get(info.event.id);
  if (!appt) return info.revert();
  const body = { startTime: tz.wallToIso(info.event.start, state.zone) };
  if (info.newResource) body[FIELD[state.mode]] = info.newResource.id;
  try {
    const { data } = await api(`/api/booking/appointments/${appt.id}/reschedule`, {
      method: "POST",
      json: body,
      headers: { ...ifMatch(appt), "Idempotency-Key": uuid() },
    });
    applyServer(data);
    toast(`Moved ${state.patients.get(data.patientId) || ""} to ${tz.describe(data.startTime, state.zone)}.`, "ok");
  } catch (err) {
    info.revert();
    toast(`Not moved: ${explain(err)}`, "error");
    if (err instanceof ApiError && err.status === 412) reloadOne(appt.id);
  }
}

// While resizing: the duration the drop will get (clamped to the type's bounds), probed.
// Returning false would snap the block back to its original size, so the bound is applied on
// the drop instead and announced here.
function clampMinutes(appt, minutes) {
  const kind = state.types.get(appt.appointmentTypeId);
  return kind ? Math.min(kind.maxDuration, Math.max(kind.minDuration, minutes)) : minutes;
}

function resizeAllowed(info) {
  const appt = state.appointments.get(info.event.id);
  if (!appt) return false;
  const asked = minutesBetween(info.event.start, info.event.end);
  const minutes = clampMinutes(appt, asked);
  const kind = state.types.get(appt.appointmentTypeId);
  const note =
    minutes < asked
      ? `Stops at ${minutes} min, the ${kind.name} maximum.`
      : minutes > asked
        ? `Stops at ${minutes} min, the ${kind.name} minimum.`
        : `${minutes} min.`;
  probeHover(info, minutes, note);
  return true;
}

async function onResize(info) {
  stopProbe();
  const appt = state.appointments.get(info.event.id);
  const kind = appt && state.types.get(appt.appointmentTypeId);
  if (!appt || !kind) return info.revert();
  const asked = minutesBetween(info.event.start, info.event.end);
  const minutes = clampMinutes(appt, asked);
  if (minutes !== asked) {
    // The block stops at the type's bound at once, before the server answers.
    info.event.end = new Date(info.event.start.getTime() + minutes * 60000);
    ec.updateEvent(info.event);
  }
  try {
    const { data } = await api(`/api/booking/appointments/${appt.id}`, {
      method: "PUT",
      json: { duration: minutes },
      headers: ifMatch(appt),
    });
    applyServer(data);
    toast(`${typeName(data.appointmentTypeId)} now lasts ${data.duration} minutes.`, "ok");
  } catch (err) {
    info.revert();
    toast(`Not resized: ${explain(err)}`, "error");
    if (err instanceof ApiError && err.status === 412) reloadOne(appt.id);
  }
}

async function reloadOne(id) {
  try {
    applyServer((await api(`/api/booking/appointments/${id}`)).data);
  } catch {
    /* gone: the live channel or the next load says so */
  }
}

// Shows a block at once while the server books it; removes it again if the server refuses.
async function optimisticCreate(parts, label, send) {
  const temps = parts
    .filter((p) => p[FIELD[state.mode]])
    .map((p, i) => {
      const id = `pending-${uuid()}-${i}`;
      ec.addEvent({
        id,
        resourceIds: [p[FIELD[state.mode]]],
        start: tz.toWall(p.startTime, state.zone),
        end: tz.toWall(p.endTime, state.zone),
        classNames: ["appt", "pending"],
        editable: false,
        extendedProps: { kind: "pending", label },
      });
      return id;
    });
  try {
    const { data } = await send();
    const rows = data.appointments || [data];
    await ensurePatients(rows.map((r) => r.patientId));
    rows.forEach(applyServer);
    return rows;
  } finally {
    temps.forEach((id) => ec.getEventById(id) && ec.removeEventById(id));
  }
}

function endOf(startIso, minutes) {
  return new Date(Date.parse(startIso) + minutes * 60000).toISOString();
}

async function bookSlot(slot, extra, label) {
  // One part: the fields at the top level; several: a visit booked all or none.
  const parts = slot.parts.map((p) => ({
    appointmentTypeId: p.appointmentTypeId,
    providerId: p.providerId,
    chairId: p.chairId,
    roomId: p.roomId,
    startTime: p.startTime,
    duration: p.duration,
    templateSlotId: p.templateSlotId,
  }));
  const body = parts.length === 1 ? { ...extra, ...parts[0] } : { ...extra, parts };
  const shown = slot.parts.map((p) => ({ ...p, endTime: p.endTime || endOf(p.startTime, p.duration) }));
  return optimisticCreate(shown, label, () =>
    api("/api/booking/appointments", { method: "POST", json: body, headers: { "Idempotency-Key": uuid() } }),
  );
}

async function duplicate(appt, target) {
  const body = {};
  let shown = [];
  if (target) {
    body.startTime = tz.wallToIso(target.start, state.zone);
    body[FIELD[state.mode]] = target.resourceId;
    const moved = { ...appt, startTime: body.startTime, endTime: endOf(body.startTime, appt.duration) };
    moved[FIELD[state.mode]] = target.resourceId;
    shown = [moved];
  }
  try {
    const [copy] = await optimisticCreate(shown, `Copy of ${state.patients.get(appt.patientId) || ""}`, () =>
      api(`/api/booking/appointments/${appt.id}/duplicate`, {
        method: "POST",
        json: body,
        headers: { "Idempotency-Key": uuid() },
      }),
    );
    toast(`Copied to ${tz.describe(copy.startTime, state.zone)} (${resourceName(copy[FIELD[state.mode]])}).`, "ok");
    if (!visible(copy)) ec.setOption("date", tz.toWall(copy.startTime, state.zone).slice(0, 10));
  } catch (err) {
    toast(`Not copied: ${explain(err)}`, "error");
  }
}

async function setStatus(appt, status) {
  try {
    const { data } = await api(`/api/booking/appointments/${appt.id}`, {
      method: "PUT",
      json: { status },
      headers: ifMatch(appt),
    });
    applyServer(data);
    toast(`${state.patients.get(data.patientId)}: ${status.toLowerCase().replace("_", " ")}.`, "ok");
  } catch (err) {
    toast(`Status not changed: ${explain(err)}`, "error");
  }
}

// ----------------------------------------------------------------------------- menu & keys

function openMenu(appt, x, y) {
  state.selectedId = appt.id;
  const menu = $("#menu");
  $("#menu-title").textContent =
    `${state.patients.get(appt.patientId) || ""} · ${typeName(appt.appointmentTypeId)} · ` +
    `${tz.describe(appt.startTime, state.zone)}`;
  for (const btn of menu.querySelectorAll("[data-status]")) {
    btn.hidden = appt.status === btn.dataset.status || !canModify(appt);
  }
  menu.hidden = false;
  menu.style.left = `${Math.min(x, window.innerWidth - 260)}px`;
  menu.style.top = `${Math.min(y, window.innerHeight - 260)}px`;
  menu.querySelector("button").focus();
}

function closeMenu() {
  $("#menu").hidden = true;
}

function selected() {
  return state.selectedId ? state.appointments.get(state.selectedId) : null;
}

function onMenu(action) {
  const appt = selected();
  closeMenu();
  if (!appt) return;
  if (action === "duplicate") duplicate(appt, null);
  else if (action === "copy") copyAppointment(appt);
  else if (action === "cancel") openCancel(appt);
  else if (action === "patient") selectPatient({ id: appt.patientId });
}

function copyAppointment(appt) {
  state.clipboardId = appt.id;
  toast("Copied. Click an empty time, then press Ctrl+V (or ⌘V) to paste it there.", "info");
}

function onKey(e) {
  const typing = ["INPUT", "SELECT", "TEXTAREA"].includes(document.activeElement?.tagName);
  if (e.key === "Escape") {
    closeMenu();
    clearSuggestions();
    return;
  }
  if (typing || document.querySelector("dialog[open]")) return;
  const mod = e.ctrlKey || e.metaKey;
  if (mod && e.key.toLowerCase() === "c" && selected()) {
    copyAppointment(selected());
    e.preventDefault();
  } else if (mod && e.key.toLowerCase() === "v") {
    const source = state.clipboardId && state.appointments.get(state.clipboardId);
    if (!source) return toast("Nothing copied yet: select an appointment and press Ctrl+C.", "info");
    if (!state.pasteTarget) return toast("Click an empty time first: that is where the copy goes.", "info");
    duplicate(source, state.pasteTarget);
    e.preventDefault();
  } else if ((e.key === "Delete" || e.key === "Backspace") && selected()) {
    openCancel(selected());
  } else if (!mod && e.key.toLowerCase() === "d") {
    ec.setOption("view", "resourceTimeGridDay");
  } else if (!mod && e.key.toLowerCase() === "w") {
    ec.setOption("view", "resourceTimeGridWeek");
  } else if (!mod && e.key.toLowerCase() === "t") {
    ec.setOption("date", tz.clinicToday(state.zone));
  } else if (e.key === "ArrowLeft") {
    ec.prev();
  } else if (e.key === "ArrowRight") {
    ec.next();
  } else if (e.key === "/") {
    $("#patient-search").focus();
    e.preventDefault();
  }
}

// ----------------------------------------------------------------------------- dialogs

function fillSelect(select, items, { empty, selectedId } = {}) {
  select.replaceChildren();
  if (empty) select.append(new Option(empty, ""));
  for (const item of items) select.append(new Option(item.name, item.id, false, item.id === selectedId));
}

function openCreate({ start, end, resourceId, typeId, slot }) {
  const dlg = $("#create-dialog");
  const form = dlg.querySelector("form");
  form.reset();
  $("#create-error").textContent = "";
  $("#create-check").textContent = "";
  const field = FIELD[state.mode];
  fillSelect(form.type, [...state.types.values()].filter((t) => t.active), { selectedId: typeId });
  fillSelect(form.provider, state.providers, { selectedId: field === "providerId" ? resourceId : slot?.providerId });
  fillSelect(form.chair, state.chairs, { empty: "(no chair)", selectedId: field === "chairId" ? resourceId : slot?.chairId });
  fillSelect(form.room, state.rooms, { empty: "(no room)", selectedId: field === "roomId" ? resourceId : slot?.roomId });
  form.start.value = tz.wallString(start).slice(0, 16);
  const kind = state.types.get(form.type.value);
  const chosen = end ? minutesBetween(start, end) : 0;
  form.duration.value = kind && (chosen < kind.minDuration || chosen > kind.maxDuration) ? kind.defaultDuration : chosen || kind?.defaultDuration || 30;
  form.dataset.templateSlotId = slot?.templateSlotId || "";
  form.patientId.value = state.patient?.id || "";
  form.patientName.value = state.patient ? state.patients.get(state.patient.id) || "" : "";
  dlg.showModal();
  (state.patient ? form.type : form.patientName).focus();
  probeCreate();
}

// The same conflict probe for a new booking: the dialog says at once whether it would fit.
let createProbeSeq = 0;
async function probeCreate() {
  const form = $("#create-form");
  const out = $("#create-check");
  if (!form.start.value || !form.type.value || !form.provider.value) return;
  const mine = ++createProbeSeq;
  const reply = await live.probe({
    appointmentTypeId: form.type.value,
    patientId: form.patientId.value || null,
    providerId: form.provider.value,
    chairId: form.chair.value || null,
    roomId: form.room.value || null,
    startTime: tz.wallToIso(tz.wallDate(`${form.start.value}:00`), state.zone),
    duration: +form.duration.value || null,
  });
  if (mine !== createProbeSeq || !reply) return;
  out.dataset.state = reply.error || !reply.ok ? "conflict" : "ok";
  out.textContent = reply.error || (reply.ok ? "This time is free." : reply.message);
}

async function submitCreate(e) {
  e.preventDefault();
  const form = e.target;
  if (!form.patientId.value) {
    $("#create-error").textContent = "Choose a patient from the list.";
    return;
  }
  const startTime = tz.wallToIso(tz.wallDate(`${form.start.value}:00`), state.zone);
  const part = {
    appointmentTypeId: form.type.value,
    providerId: form.provider.value,
    chairId: form.chair.value || null,
    roomId: form.room.value || null,
    startTime,
    duration: +form.duration.value,
    templateSlotId: form.dataset.templateSlotId || null,
  };
  $("#create-dialog").close();
  try {
    const [row] = await bookSlot({ parts: [part] }, { patientId: form.patientId.value, notes: form.notes.value || null }, state.patients.get(form.patientId.value) || "New");
    toast(`Booked ${typeName(row.appointmentTypeId)} for ${state.patients.get(row.patientId)} at ${tz.describe(row.startTime, state.zone)}.`, "ok");
  } catch (err) {
    toast(`Not booked: ${explain(err)}`, "error");
  }
}

async function patientSuggestions(input, list) {
  const q = input.value.trim();
  if (q.length < 2) return list.replaceChildren();
  const page = await getJson(`/api/patients?q=${encodeURIComponent(q)}&limit=10`);
  list.replaceChildren(...page.items.map((p) => new Option(`${p.firstName} ${p.lastName} (${p.dateOfBirth})`, p.id)));
  for (const p of page.items) state.patients.set(p.id, `${p.firstName} ${p.lastName}`);
}

function lateFee(appt) {
  const c = state.clinic;
  const amount = +c.lateCancelFeeAmount;
  const window = c.lateCancelWindowHours * 3600000;
  if (!(amount > 0) || Date.parse(appt.startTime) - Date.now() >= window) return null;
  return money(c.lateCancelFeeAmount, c.lateCancelFeeCurrency);
}

function openCancel(appt) {
  state.selectedId = appt.id;
  const dlg = $("#cancel-dialog");
  const form = dlg.querySelector("form");
  form.reset();
  $("#cancel-what").textContent =
    `${state.patients.get(appt.patientId)} · ${typeName(appt.appointmentTypeId)} · ${tz.describe(appt.startTime, state.zone)}`;
  const fee = lateFee(appt);
  $("#cancel-fee").hidden = !fee;
  $("#cancel-fee-text").textContent = fee
    ? `This is inside the ${state.clinic.lateCancelWindowHours}-hour late-cancellation window: a fee of ${fee} will be recorded.`
    : "";
  dlg.showModal();
  form.reason.focus();
}

async function submitCancel(e) {
  e.preventDefault();
  const form = e.target;
  const appt = selected();
  $("#cancel-dialog").close();
  if (!appt) return;
  // Optimistic: the block goes at once and comes back if the server refuses.
  if (ec.getEventById(appt.id)) ec.removeEventById(appt.id);
  const params = new URLSearchParams({ reason: form.reason.value, waiveFee: form.waive.checked });
  try {
    const { data } = await api(`/api/booking/appointments/${appt.id}?${params}`, {
      method: "DELETE",
      headers: ifMatch(appt),
    });
    applyServer(data);
    const fee = data.cancellationFee;
    toast(`Cancelled${fee ? `; late-cancellation fee ${money(fee.amount, fee.currency)} recorded` : ""}.`, "ok");
  } catch (err) {
    const ev = toEvent(appt);
    if (ev && !ec.getEventById(appt.id)) ec.addEvent(ev);
    toast(`Not cancelled: ${explain(err)}`, "error");
  }
}

// ----------------------------------------------------------------------------- suggest

async function suggest() {
  const typeId = $("#suggest-type").value;
  if (!typeId || !state.range) return;
  const params = new URLSearchParams({
    appointmentTypeId: typeId,
    mode: "best",
    limit: "5",
    from: new Date(Math.max(Date.now(), Date.parse(tz.wallToIso(state.range.start, state.zone)))).toISOString(),
    to: tz.wallToIso(state.range.end, state.zone),
  });
  if (state.patient) params.set("patientId", state.patient.id);
  try {
    const data = await getJson(`/api/booking/availability?${params}`);
    state.suggestions = data.suggestions;
    renderAll();
    toast(
      data.suggestions.length
        ? `Top ${data.suggestions.length} times for ${typeName(typeId)} are highlighted; click one to book it.`
        : `No free time for ${typeName(typeId)} in these days.`,
      "info",
    );
  } catch (err) {
    toast(`No suggestions: ${explain(err)}`, "error");
  }
}

function clearSuggestions() {
  if (!state.suggestions.length) return;
  state.suggestions = [];
  renderAll();
}

// ----------------------------------------------------------------------------- patient panel

let searchTimer = null;
function onPatientSearch() {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(async () => {
    const q = $("#patient-search").value.trim();
    const list = $("#patient-results");
    if (q.length < 2) return list.replaceChildren();
    try {
      const page = await getJson(`/api/patients?q=${encodeURIComponent(q)}&limit=10`);
      list.replaceChildren(
        ...page.items.map((p) => {
          state.patients.set(p.id, `${p.firstName} ${p.lastName}`);
          const li = document.createElement("li");
          const btn = document.createElement("button");
          btn.type = "button";
          btn.className = "patient-result";
          btn.textContent = `${p.firstName} ${p.lastName} · ${p.dateOfBirth}`;
          btn.onclick = () => selectPatient(p);
          li.append(btn);
          return li;
        }),
      );
      if (!page.items.length) list.innerHTML = "<li class='muted'>No patient matches.</li>";
    } catch (err) {
      toast(explain(err), "error");
    }
  }, 200);
}

async function selectPatient(p) {
  state.patient = { id: p.id };
  $("#patient-results").replaceChildren();
  await ensurePatients([p.id]);
  $("#patient-detail").hidden = false;
  $("#patient-name").textContent = state.patients.get(p.id);
  await refreshPatientPanel();
}

async function refreshPatientPanel() {
  const p = state.patient;
  if (!p) return;
  const now = new Date().toISOString();
  const [upcoming, plans] = await Promise.all([
    getJson(`/api/booking/appointments?patientId=${p.id}&from=${encodeURIComponent(now)}&limit=20`),
    getJson(`/api/treatment-plans?patientId=${p.id}`),
  ]);
  const ul = $("#patient-upcoming");
  ul.replaceChildren(
    ...upcoming.items.map((a) => {
      const li = document.createElement("li");
      const btn = document.createElement("button");
      btn.type = "button";
      btn.className = "link";
      btn.textContent = `${tz.describe(a.startTime, state.zone)} · ${typeName(a.appointmentTypeId)} · ${resourceName(a.providerId)}`;
      btn.onclick = () => ec.setOption("date", tz.toWall(a.startTime, state.zone).slice(0, 10));
      li.append(btn);
      return li;
    }),
  );
  if (!upcoming.items.length) ul.innerHTML = "<li class='muted'>No upcoming appointments.</li>";
  const procs = $("#patient-procedures");
  procs.replaceChildren();
  for (const plan of plans.items.filter((x) => x.status === "ACTIVE")) {
    for (const proc of plan.procedures) {
      const li = document.createElement("li");
      li.className = `proc-${proc.status.toLowerCase()}`;
      li.textContent = `${plan.name}: ${proc.name} (${typeName(proc.appointmentTypeId)}) — ${proc.status.toLowerCase()}`;
      procs.append(li);
    }
  }
  if (!procs.children.length) procs.innerHTML = "<li class='muted'>No active treatment plan.</li>";
  await refreshQuick();
}

async function refreshQuick() {
  const p = state.patient;
  const box = $("#quick-slot");
  const btn = $("#quick-book");
  state.quick = null;
  btn.disabled = true;
  box.textContent = "Finding the best time…";
  try {
    const data = await getJson(`/api/booking/availability?patientId=${p.id}&mode=best&limit=1`);
    const s = data.suggestions[0];
    if (!s) {
      box.textContent = "No free time for the next procedure in the next two weeks.";
      return;
    }
    state.quick = { ...s, treatmentPlanId: data.treatmentPlanId, procedureIds: data.procedureIds };
    const part = s.parts[0];
    const where = [part.providerId, part.chairId, part.roomId].filter(Boolean).map(resourceName).join(", ");
    box.textContent = `${typeName(part.appointmentTypeId)} · ${tz.describe(s.startTime, state.zone)} · ${where}`;
    box.dataset.startTime = s.startTime;
    btn.disabled = false;
  } catch (err) {
    box.textContent = explain(err);
  }
}

async function quickBook() {
  const q = state.quick;
  if (!q) return;
  $("#quick-book").disabled = true;
  const extra = { patientId: state.patient.id, source: "TREATMENT_PLAN" };
  if (q.treatmentPlanId) {
    extra.treatmentPlanId = q.treatmentPlanId;
  }
  try {
    // Exactly the slot shown: its time, resources and template slot; the plan's procedure.
    const slot = { parts: q.parts.map((p, i) => ({ ...p, procedureIds: i === 0 ? q.procedureIds : [] })) };
    ec.setOption("date", tz.toWall(q.startTime, state.zone).slice(0, 10));
    const rows = await bookSlot(slot, extra, state.patients.get(state.patient.id));
    toast(`Booked ${typeName(rows[0].appointmentTypeId)} at ${tz.describe(rows[0].startTime, state.zone)}.`, "ok");
  } catch (err) {
    toast(`Quick booking failed: ${explain(err)} A new suggestion is shown.`, "error");
  }
  await refreshPatientPanel();
}

function openVisit() {
  if (!state.patient) return;
  const dlg = $("#visit-dialog");
  const types = [...state.types.values()].filter((t) => t.active);
  const scan = types.find((t) => t.roomKind) || types[0];
  const adj = types.find((t) => t.code === "ADJ" || /adjust/i.test(t.name)) || types[1] || types[0];
  fillSelect($("#visit-type-1"), types, { selectedId: scan?.id });
  fillSelect($("#visit-type-2"), types, { selectedId: adj?.id });
  $("#visit-options").replaceChildren();
  $("#visit-book").disabled = true;
  $("#visit-patient").textContent = state.patients.get(state.patient.id);
  dlg.showModal();
  findVisit();
}

let visitOptions = [];
async function findVisit() {
  const params = new URLSearchParams({ mode: "best", limit: "5", patientId: state.patient.id, maxGap: "30" });
  params.append("appointmentTypeId", $("#visit-type-1").value);
  params.append("appointmentTypeId", $("#visit-type-2").value);
  const box = $("#visit-options");
  box.textContent = "Asking the engine…";
  try {
    const data = await getJson(`/api/booking/availability?${params}`);
    visitOptions = data.suggestions;
    box.replaceChildren(
      ...visitOptions.map((s, i) => {
        const label = document.createElement("label");
        label.className = "visit-option";
        const radio = document.createElement("input");
        radio.type = "radio";
        radio.name = "visit";
        radio.value = String(i);
        radio.checked = i === 0;
        label.append(
          radio,
          ` ${tz.describe(s.startTime, state.zone)}: ` +
            s.parts
              .map((p) => `${typeName(p.appointmentTypeId)} ${tz.describe(p.startTime, state.zone).slice(-5)} (${[p.providerId, p.chairId, p.roomId].filter(Boolean).map(resourceName).join(", ")})`)
              .join(" then "),
        );
        return label;
      }),
    );
    if (!visitOptions.length) box.textContent = "No time fits both parts in the next two weeks.";
    $("#visit-book").disabled = !visitOptions.length;
  } catch (err) {
    box.textContent = explain(err);
  }
}

async function bookVisit(e) {
  e.preventDefault();
  const chosen = document.querySelector("input[name=visit]:checked");
  if (!chosen) return;
  const s = visitOptions[+chosen.value];
  $("#visit-dialog").close();
  ec.setOption("date", tz.toWall(s.startTime, state.zone).slice(0, 10));
  try {
    const rows = await bookSlot(s, { patientId: state.patient.id }, state.patients.get(state.patient.id));
    toast(`Visit booked: ${rows.length} appointments from ${tz.describe(rows[0].startTime, state.zone)}.`, "ok");
  } catch (err) {
    toast(`Visit not booked: ${explain(err)}`, "error");
  }
  refreshPatientPanel();
}

// ----------------------------------------------------------------------------- start up

function buildCalendar() {
  const [minT, maxT] = dayBounds();
  const gran = state.clinic.slotGranularityMinutes;
  const slotMinutes = gran >= 10 ? gran : 15;
  const fmt = (m) => `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}:00`;
  // ?date=YYYY-MM-DD&view=day|week&columns=provider|chair|room: links straight to a day.
  const params = new URLSearchParams(location.search);
  ec = EventCalendar.create($("#calendar"), {
    view: params.get("view") === "day" ? "resourceTimeGridDay" : "resourceTimeGridWeek",
    timeZone: "UTC", // fed the clinic's wall clock; see tz.js
    date: /^\d{4}-\d{2}-\d{2}$/.test(params.get("date") || "") ? params.get("date") : tz.clinicToday(state.zone),
    firstDay: 1,
    headerToolbar: { start: "prev,next today", center: "title", end: "resourceTimeGridDay,resourceTimeGridWeek" },
    buttonText: (text) => ({ ...text, today: "Today", resourceTimeGridDay: "Day", resourceTimeGridWeek: "Week" }),
    datesAboveResources: true,
    resources: resources().map((r) => ({ id: r.id, title: r.name })),
    slotMinTime: minT,
    slotMaxTime: maxT,
    slotDuration: fmt(slotMinutes),
    snapDuration: fmt(gran),
    scrollTime: minT,
    height: "100%",
    nowIndicator: true,
    editable: true,
    selectable: true,
    eventStartEditable: true,
    eventDurationEditable: true,
    slotEventOverlap: false,
    eventTimeFormat: { hour: "2-digit", minute: "2-digit", hourCycle: "h23" },
    slotLabelFormat: { hour: "2-digit", minute: "2-digit", hourCycle: "h23" },
    events: [],
    eventContent,
    datesSet: (info) => {
      state.range = { start: info.start, end: info.end };
      loadAppointments().catch((err) => toast(explain(err), "error"));
    },
    eventDragStart: () => {
      closeMenu();
      startProbe();
    },
    eventResizeStart: () => {
      closeMenu();
      startProbe();
    },
    dragConstraint: probeHover,
    resizeConstraint: resizeAllowed,
    eventDragStop: () => setTimeout(stopProbe, 0),
    eventResizeStop: () => setTimeout(stopProbe, 0),
    eventDrop: onDrop,
    eventResize: onResize,
    eventClick: (info) => {
      const props = info.event.extendedProps || {};
      if (props.kind === "appointment") {
        const appt = state.appointments.get(info.event.id);
        if (appt) openMenu(appt, info.jsEvent.clientX, info.jsEvent.clientY);
      } else if (props.kind === "suggestion") {
        const s = state.suggestions[props.rank];
        const p = s.parts[0];
        openCreate({
          start: tz.wallDate(tz.toWall(p.startTime, state.zone)),
          end: tz.wallDate(tz.toWall(p.endTime, state.zone)),
          resourceId: p[FIELD[state.mode]],
          typeId: p.appointmentTypeId,
          slot: p,
        });
      }
    },
    dateClick: (info) => {
      closeMenu();
      state.pasteTarget = { start: info.date, resourceId: info.resource?.id };
      $("#paste-target").textContent = `Paste target: ${tz.wallString(info.date).slice(5, 16).replace("T", " ")} · ${resourceName(info.resource?.id)}`;
    },
    select: (info) => {
      if (!state.me.permissions.includes("booking:create_appointment")) return ec.unselect();
      openCreate({ start: info.start, end: info.end, resourceId: info.resource?.id });
      ec.unselect();
    },
  });
}

function setMode(mode) {
  state.mode = mode;
  ec.setOption("resources", resources().map((r) => ({ id: r.id, title: r.name })));
  renderAll();
}

async function start() {
  $("#login").hidden = true;
  $("#app").hidden = false;
  state.me = await getJson("/api/auth/me");
  const [clinics, types, providers, chairs, rooms] = await Promise.all([
    getJson("/api/clinics"),
    getAll("/api/appointment-types", 200),
    getAll("/api/providers", 200),
    getAll("/api/chairs", 200),
    getAll("/api/rooms", 200),
  ]);
  state.clinic = clinics.items[0];
  state.zone = state.clinic.timeZone;
  state.types = new Map(types.map((t) => [t.id, t]));
  state.providers = providers.filter((r) => r.active);
  state.chairs = chairs.filter((r) => r.active);
  state.rooms = rooms.filter((r) => r.active);
  try {
    state.template = await getJson("/api/schedule-templates/active");
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 404)) throw err;
    state.template = null; // no schedule yet: everything shows as closed
  }
  $("#clinic-name").textContent = `${state.clinic.name} · ${state.zone}`;
  $("#user-name").textContent = state.me.role;
  fillSelect($("#suggest-type"), [...state.types.values()].filter((t) => t.active));
  live = new Live({
    getToken: token.get,
    onReady: () => state.range && loadAppointments().catch((err) => toast(explain(err), "error")),
    onAppointment: (msg) => onLiveAppointment(msg).catch((err) => toast(explain(err), "error")),
    onStatus: (status, why) => {
      const el = $("#live-status");
      el.dataset.state = status;
      el.textContent = { live: "● live", connecting: "○ connecting", offline: "○ offline" }[status];
      el.title = why || "";
    },
    onAuthLost: signOut,
  });
  const columns = new URLSearchParams(location.search).get("columns");
  if (columns in FIELD) {
    state.mode = columns;
    $("#resource-mode").value = columns;
  }
  buildCalendar();
  live.connect();
  window.slotwiseCalendar = ec; // for people debugging in the console
}

function signOut(reason) {
  token.clear();
  if (live) live.close();
  if (ec) EventCalendar.destroy(ec);
  ec = null;
  $("#app").hidden = true;
  $("#login").hidden = false;
  $("#login-error").textContent = typeof reason === "string" ? reason : "";
}

function wire() {
  setUnauthorizedHandler(() => signOut("Your session has ended; sign in again."));
  $("#login-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const form = e.target;
    try {
      await login(form.email.value, form.password.value);
      await start();
    } catch (err) {
      $("#login-error").textContent = explain(err);
    }
  });
  $("#logout").onclick = () => signOut("");
  $("#resource-mode").onchange = (e) => setMode(e.target.value);
  $("#suggest").onclick = suggest;
  $("#suggest-clear").onclick = clearSuggestions;
  $("#patient-search").oninput = onPatientSearch;
  $("#quick-book").onclick = quickBook;
  $("#visit-open").onclick = openVisit;
  $("#visit-find").onclick = findVisit;
  $("#visit-form").onsubmit = bookVisit;
  $("#create-form").onsubmit = submitCreate;
  $("#cancel-form").onsubmit = submitCancel;
  for (const btn of document.querySelectorAll("[data-close]")) btn.onclick = () => btn.closest("dialog").close();
  for (const btn of document.querySelectorAll("#menu [data-action]")) btn.onclick = () => onMenu(btn.dataset.action);
  for (const btn of document.querySelectorAll("#menu [data-status]")) {
    btn.onclick = () => {
      const appt = selected();
      closeMenu();
      if (appt) setStatus(appt, btn.dataset.status);
    };
  }
  const createForm = $("#create-form");
  createForm.patientName.oninput = () => patientSuggestions(createForm.patientName, $("#create-patients"));
  createForm.patientName.onchange = () => {
    const opt = [...$("#create-patients").options].find((o) => o.value === createForm.patientName.value);
    if (opt) {
      createForm.patientId.value = opt.value;
      createForm.patientName.value = state.patients.get(opt.value);
    }
  };
  createForm.type.onchange = () => {
    const kind = state.types.get(createForm.type.value);
    if (kind) createForm.duration.value = kind.defaultDuration;
  };
  for (const name of ["type", "provider", "chair", "room", "start", "duration", "patientName"]) {
    createForm[name].addEventListener("change", () => probeCreate());
  }
  document.addEventListener("keydown", onKey);
  document.addEventListener("click", (e) => {
    if (!$("#menu").hidden && !e.target.closest("#menu") && !e.target.closest(".ec-event")) closeMenu();
  });
  if (token.get()) start().catch(() => signOut(""));
}

wire();
