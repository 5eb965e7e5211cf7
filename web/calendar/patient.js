// @ts-check
// The patient panel: search, upcoming appointments, the active treatment plan, quick booking of
// the engine's best slot for the next procedure, and booking a two-part visit.

import { explain, getJson } from "./api.js";
import { ensurePatients, rememberPatient } from "./appointments.js";
import { $, button, dialog, el, emptyItem, fillSelect, select, toast } from "./dom.js";
import { bookSlot } from "./mutations.js";
import { calendar, patientName, placeNames, resourceName, state, typeName } from "./state.js";
import * as tz from "./tz.js";

/** @type {(Suggestion & {treatmentPlanId?: string | null}) | null} the quick-booking slot shown */
let quick = null;
/** @type {Suggestion[]} */
let visitOptions = [];
/** @type {ReturnType<typeof setTimeout> | undefined} */
let searchTimer;

/** @param {string} iso shows that day */
function goTo(iso) {
  calendar().setOption("date", tz.toWall(iso, state.zone).slice(0, 10));
}

export function onPatientSearch() {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(async () => {
    const q = $("#patient-search", HTMLInputElement).value.trim();
    const list = $("#patient-results");
    if (q.length < 2) return list.replaceChildren();
    try {
      /** @type {Page<Patient>} */
      const page = await getJson(`/api/patients?q=${encodeURIComponent(q)}&limit=10`);
      list.replaceChildren(
        ...page.items.map((p) => {
          rememberPatient(p);
          const btn = el("button", "patient-result", `${p.firstName} ${p.lastName} · ${p.dateOfBirth}`);
          btn.setAttribute("type", "button");
          btn.onclick = () => selectPatient(p);
          return el("li", "", btn);
        }),
      );
      if (!page.items.length) list.replaceChildren(emptyItem("No patient matches."));
    } catch (err) {
      toast(explain(err), "error");
    }
  }, 200);
}

/** Opens a patient in the panel. @param {{id: string}} p */
export async function selectPatient(p) {
  state.patient = { id: p.id };
  $("#patient-results").replaceChildren();
  await ensurePatients([p.id]);
  $("#patient-detail").hidden = false;
  $("#patient-name").textContent = patientName(p.id);
  await refreshPatientPanel();
}

/** After a change to one of the open patient's appointments. @param {Appointment} appt */
export function onPatientAppointment(appt) {
  if (state.patient && appt.patientId === state.patient.id) refreshPatientPanel();
}

export async function refreshPatientPanel() {
  const p = state.patient;
  if (!p) return;
  const now = new Date().toISOString();
  /** @type {[Page<Appointment>, Page<TreatmentPlan>]} */
  const [upcoming, plans] = await Promise.all([
    getJson(`/api/booking/appointments?patientId=${p.id}&from=${encodeURIComponent(now)}&limit=20`),
    getJson(`/api/treatment-plans?patientId=${p.id}`),
  ]);
  const ul = $("#patient-upcoming");
  ul.replaceChildren(
    ...upcoming.items.map((a) => {
      const btn = el(
        "button",
        "link",
        `${tz.describe(a.startTime, state.zone)} · ${typeName(a.appointmentTypeId)} · ${resourceName(a.providerId)}`,
      );
      btn.setAttribute("type", "button");
      btn.onclick = () => goTo(a.startTime);
      return el("li", "", btn);
    }),
  );
  if (!upcoming.items.length) ul.replaceChildren(emptyItem("No upcoming appointments."));
  const procs = $("#patient-procedures");
  procs.replaceChildren();
  for (const plan of plans.items.filter((x) => x.status === "ACTIVE")) {
    for (const proc of plan.procedures) {
      procs.append(
        el(
          "li",
          `proc-${proc.status.toLowerCase()}`,
          `${plan.name}: ${proc.name} (${typeName(proc.appointmentTypeId)}) — ${proc.status.toLowerCase()}`,
        ),
      );
    }
  }
  if (!procs.children.length) procs.replaceChildren(emptyItem("No active treatment plan."));
  await refreshQuick(p.id);
}

/** The engine's best slot for the patient's next pending procedure. @param {string} patientId */
async function refreshQuick(patientId) {
  const box = $("#quick-slot");
  const btn = button("#quick-book");
  quick = null;
  btn.disabled = true;
  box.textContent = "Finding the best time…";
  try {
    /** @type {Availability} */
    const data = await getJson(`/api/booking/availability?patientId=${patientId}&mode=best&limit=1`);
    const s = data.suggestions[0];
    if (!s) {
      box.textContent = "No free time for the next procedure in the next two weeks.";
      return;
    }
    quick = { ...s, treatmentPlanId: data.treatmentPlanId };
    const part = s.parts[0];
    box.textContent = `${typeName(part.appointmentTypeId)} · ${tz.describe(s.startTime, state.zone)} · ${placeNames(part)}`;
    box.dataset.startTime = s.startTime;
    btn.disabled = false;
  } catch (err) {
    box.textContent = explain(err);
  }
}

/** Books exactly the slot shown: its time, resources and template slot, for the plan. */
export async function quickBook() {
  const q = quick;
  const patient = state.patient;
  if (!q || !patient) return;
  button("#quick-book").disabled = true;
  /** @type {Record<string, unknown>} */
  const extra = { patientId: patient.id, source: "TREATMENT_PLAN" };
  if (q.treatmentPlanId) extra.treatmentPlanId = q.treatmentPlanId;
  try {
    goTo(q.startTime);
    const rows = await bookSlot(q, extra, patientName(patient.id));
    toast(`Booked ${typeName(rows[0].appointmentTypeId)} at ${tz.describe(rows[0].startTime, state.zone)}.`, "ok");
  } catch (err) {
    toast(`Quick booking failed: ${explain(err)} A new suggestion is shown.`, "error");
  }
  await refreshPatientPanel();
}

/** The visit dialog: scan then adjustment (any two types) for the open patient. */
export function openVisit() {
  if (!state.patient) return;
  const types = [...state.types.values()].filter((t) => t.active);
  const scan = types.find((t) => t.roomKind) || types[0];
  const adj = types.find((t) => t.code === "ADJ" || /adjust/i.test(t.name)) || types[1] || types[0];
  fillSelect(select("#visit-type-1"), types, { selectedId: scan?.id });
  fillSelect(select("#visit-type-2"), types, { selectedId: adj?.id });
  $("#visit-options").replaceChildren();
  button("#visit-book").disabled = true;
  $("#visit-patient").textContent = patientName(state.patient.id);
  dialog("#visit-dialog").showModal();
  findVisit();
}

export async function findVisit() {
  if (!state.patient) return;
  const params = new URLSearchParams({ mode: "best", limit: "5", patientId: state.patient.id, maxGap: "30" });
  params.append("appointmentTypeId", select("#visit-type-1").value);
  params.append("appointmentTypeId", select("#visit-type-2").value);
  const box = $("#visit-options");
  box.textContent = "Asking the engine…";
  try {
    /** @type {Availability} */
    const data = await getJson(`/api/booking/availability?${params}`);
    visitOptions = data.suggestions;
    box.replaceChildren(
      ...visitOptions.map((s, i) => {
        const radio = document.createElement("input");
        radio.type = "radio";
        radio.name = "visit";
        radio.value = String(i);
        radio.checked = i === 0;
        const parts = s.parts
          .map((p) => `${typeName(p.appointmentTypeId)} ${tz.describe(p.startTime, state.zone).slice(-5)} (${placeNames(p)})`)
          .join(" then ");
        return el("label", "visit-option", radio, ` ${tz.describe(s.startTime, state.zone)}: ${parts}`);
      }),
    );
    if (!visitOptions.length) box.textContent = "No time fits both parts in the next two weeks.";
    button("#visit-book").disabled = !visitOptions.length;
  } catch (err) {
    box.textContent = explain(err);
  }
}

/** @param {SubmitEvent} e */
export async function bookVisit(e) {
  e.preventDefault();
  const chosen = document.querySelector("input[name=visit]:checked");
  const patient = state.patient;
  if (!(chosen instanceof HTMLInputElement) || !patient) return;
  const s = visitOptions[+chosen.value];
  dialog("#visit-dialog").close();
  goTo(s.startTime);
  try {
    const rows = await bookSlot(s, { patientId: patient.id }, patientName(patient.id));
    toast(`Visit booked: ${rows.length} appointments from ${tz.describe(rows[0].startTime, state.zone)}.`, "ok");
  } catch (err) {
    toast(`Visit not booked: ${explain(err)}`, "error");
  }
  refreshPatientPanel();
}
