// @ts-check
// The appointment menu and the dialogs: a new appointment (probed as it is filled in) and a
// cancellation (with the clinic's late-cancellation fee when it applies).

import { explain, getJson } from "./api.js";
import { rememberPatient } from "./appointments.js";
import { $, dialog, field, fillSelect, form, minutesBetween, money, toast } from "./dom.js";
import { bookSlot, cancel, duplicate, setStatus } from "./mutations.js";
import { selectPatient } from "./patient.js";
import { canModify, cal, clinic, columnField, patientName, selected, state, typeName } from "./state.js";
import * as tz from "./tz.js";

// ----------------------------------------------------------------------------- the menu

/** @param {Appointment} appt @param {number} x @param {number} y */
export function openMenu(appt, x, y) {
  state.selectedId = appt.id;
  const menu = $("#menu");
  $("#menu-title").textContent =
    `${patientName(appt.patientId)} · ${typeName(appt.appointmentTypeId)} · ${tz.describe(appt.startTime, state.zone)}`;
  for (const btn of menu.querySelectorAll("[data-status]")) {
    if (btn instanceof HTMLElement) btn.hidden = appt.status === btn.dataset.status || !canModify(appt);
  }
  menu.hidden = false;
  menu.style.left = `${Math.min(x, window.innerWidth - 260)}px`;
  menu.style.top = `${Math.min(y, window.innerHeight - 260)}px`;
  menu.querySelector("button")?.focus();
}

export function closeMenu() {
  $("#menu").hidden = true;
}

/** @param {string | undefined} action */
export function onMenu(action) {
  const appt = selected();
  closeMenu();
  if (!appt) return;
  if (action === "duplicate") duplicate(appt, null);
  else if (action === "copy") copyAppointment(appt);
  else if (action === "cancel") openCancel(appt);
  else if (action === "patient") selectPatient({ id: appt.patientId });
}

/** @param {string | undefined} status */
export function onMenuStatus(status) {
  const appt = selected();
  closeMenu();
  if (appt && status) setStatus(appt, status);
}

/** @param {Appointment} appt */
export function copyAppointment(appt) {
  state.clipboardId = appt.id;
  toast("Copied. Click an empty time, then press Ctrl+V (or ⌘V) to paste it there.", "info");
}

// ----------------------------------------------------------------------------- new appointment

/** The new-appointment form's controls. */
function createForm() {
  const f = form("#create-form");
  return {
    form: f,
    patientName: field(f, "patientName", HTMLInputElement),
    patientId: field(f, "patientId", HTMLInputElement),
    type: field(f, "type", HTMLSelectElement),
    start: field(f, "start", HTMLInputElement),
    duration: field(f, "duration", HTMLInputElement),
    provider: field(f, "provider", HTMLSelectElement),
    chair: field(f, "chair", HTMLSelectElement),
    room: field(f, "room", HTMLSelectElement),
    assistant: field(f, "assistant", HTMLSelectElement),
    notes: field(f, "notes", HTMLTextAreaElement),
  };
}

/**
 * @param {{start: Date, end?: Date, resourceId?: string, typeId?: string, slot?: SuggestionPart}} draft
 */
export function openCreate({ start, end, resourceId, typeId, slot }) {
  const c = createForm();
  c.form.reset();
  $("#create-error").textContent = "";
  $("#create-check").textContent = "";
  const column = columnField();
  /** @param {ResourceField} name */
  const chosen = (name) => (column === name ? resourceId : slot?.[name]) ?? null;
  fillSelect(c.type, [...state.types.values()].filter((t) => t.active), { selectedId: typeId });
  fillSelect(c.provider, state.providers, { selectedId: chosen("providerId") });
  fillSelect(c.chair, state.chairs, { empty: "(no chair)", selectedId: chosen("chairId") });
  fillSelect(c.room, state.rooms, { empty: "(no room)", selectedId: chosen("roomId") });
  // Empty lets the engine choose one where the type needs an assistant.
  fillSelect(c.assistant, state.assistants, { empty: "(any or none)", selectedId: chosen("assistantId") });
  $("#create-assistant").hidden = state.assistants.length === 0;
  c.start.value = tz.wallString(start).slice(0, 16);
  const kind = state.types.get(c.type.value);
  const asked = end ? minutesBetween(start, end) : 0;
  const minutes =
    kind && (asked < kind.minDuration || asked > kind.maxDuration) ? kind.defaultDuration : asked || kind?.defaultDuration || 30;
  c.duration.value = String(minutes);
  c.form.dataset.templateSlotId = slot?.templateSlotId || "";
  c.patientId.value = state.patient?.id || "";
  c.patientName.value = state.patient ? patientName(state.patient.id) : "";
  dialog("#create-dialog").showModal();
  (state.patient ? c.type : c.patientName).focus();
  probeCreate();
}

let createProbeSeq = 0;

/** The same conflict probe for a new booking: the dialog says at once whether it would fit. */
export async function probeCreate() {
  const c = createForm();
  const out = $("#create-check");
  if (!c.start.value || !c.type.value || !c.provider.value || !cal.live) return;
  const mine = ++createProbeSeq;
  const reply = await cal.live.probe({
    appointmentTypeId: c.type.value,
    patientId: c.patientId.value || null,
    providerId: c.provider.value,
    chairId: c.chair.value || null,
    roomId: c.room.value || null,
    ...assistantOf(c),
    startTime: tz.wallToIso(tz.wallDate(`${c.start.value}:00`), state.zone),
    duration: +c.duration.value || null,
  });
  if (mine !== createProbeSeq || !reply) return;
  out.dataset.state = reply.error || !reply.ok ? "conflict" : "ok";
  out.textContent = reply.error || (reply.ok ? "This time is free." : reply.message || "");
}

/**
 * The assistant chosen in the dialog, sent only when one is: a clinic without assistants sends
 * exactly what it sent before.
 * @param {ReturnType<typeof createForm>} c
 * @returns {{assistantId?: string}}
 */
function assistantOf(c) {
  return c.assistant.value ? { assistantId: c.assistant.value } : {};
}

/** @param {SubmitEvent} e */
export async function submitCreate(e) {
  e.preventDefault();
  const c = createForm();
  if (!c.patientId.value) {
    $("#create-error").textContent = "Choose a patient from the list.";
    return;
  }
  const part = {
    appointmentTypeId: c.type.value,
    providerId: c.provider.value,
    chairId: c.chair.value || null,
    roomId: c.room.value || null,
    ...assistantOf(c),
    startTime: tz.wallToIso(tz.wallDate(`${c.start.value}:00`), state.zone),
    duration: +c.duration.value,
    templateSlotId: c.form.dataset.templateSlotId || null,
  };
  const patientId = c.patientId.value;
  const notes = c.notes.value || null;
  dialog("#create-dialog").close();
  try {
    const [row] = await bookSlot({ parts: [part] }, { patientId, notes }, patientName(patientId) || "New");
    toast(
      `Booked ${typeName(row.appointmentTypeId)} for ${patientName(row.patientId)} at ${tz.describe(row.startTime, state.zone)}.`,
      "ok",
    );
  } catch (err) {
    toast(`Not booked: ${explain(err)}`, "error");
  }
}

/** Patients matching what is typed, as the patient field's suggestions. */
async function patientSuggestions() {
  const c = createForm();
  const list = $("#create-patients");
  const q = c.patientName.value.trim();
  if (q.length < 2) return list.replaceChildren();
  /** @type {Page<Patient>} */
  const page = await getJson(`/api/patients?q=${encodeURIComponent(q)}&limit=10`);
  list.replaceChildren(...page.items.map((p) => new Option(`${p.firstName} ${p.lastName} (${p.dateOfBirth})`, p.id)));
  for (const p of page.items) rememberPatient(p);
}

/** Wires the new-appointment form's fields: patient search, type default, probe on change. */
export function wireCreate() {
  const c = createForm();
  c.form.onsubmit = submitCreate;
  c.patientName.oninput = () => patientSuggestions().catch((err) => toast(explain(err), "error"));
  c.patientName.onchange = () => {
    const options = [...$("#create-patients", HTMLDataListElement).options];
    const opt = options.find((o) => o.value === c.patientName.value);
    if (opt) {
      c.patientId.value = opt.value;
      c.patientName.value = patientName(opt.value);
    }
  };
  c.type.onchange = () => {
    const kind = state.types.get(c.type.value);
    if (kind) c.duration.value = String(kind.defaultDuration);
  };
  for (const control of [c.type, c.provider, c.chair, c.room, c.assistant, c.start, c.duration, c.patientName]) {
    control.addEventListener("change", () => probeCreate());
  }
}

// ----------------------------------------------------------------------------- cancel

/** The fee a cancellation now would record, for people; null outside the window. @param {Appointment} appt */
function lateFee(appt) {
  const c = clinic();
  const amount = +c.lateCancelFeeAmount;
  const window = c.lateCancelWindowHours * 3600000;
  if (!(amount > 0) || Date.parse(appt.startTime) - Date.now() >= window) return null;
  return money(c.lateCancelFeeAmount, c.lateCancelFeeCurrency);
}

/** @param {Appointment} appt */
export function openCancel(appt) {
  state.selectedId = appt.id;
  const f = form("#cancel-form");
  f.reset();
  $("#cancel-what").textContent =
    `${patientName(appt.patientId)} · ${typeName(appt.appointmentTypeId)} · ${tz.describe(appt.startTime, state.zone)}`;
  const fee = lateFee(appt);
  $("#cancel-fee").hidden = !fee;
  $("#cancel-fee-text").textContent = fee
    ? `This is inside the ${clinic().lateCancelWindowHours}-hour late-cancellation window: a fee of ${fee} will be recorded.`
    : "";
  dialog("#cancel-dialog").showModal();
  field(f, "reason", HTMLInputElement).focus();
}

/** @param {SubmitEvent} e */
export async function submitCancel(e) {
  e.preventDefault();
  const f = form("#cancel-form");
  const appt = selected();
  dialog("#cancel-dialog").close();
  if (!appt) return;
  await cancel(appt, field(f, "reason", HTMLInputElement).value, field(f, "waive", HTMLInputElement).checked);
}
