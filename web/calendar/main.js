// @ts-check
// The staff calendar: EventCalendar's resource time grid fed by three event sources
// (schedule background, appointments, suggestions) and redrawn by refetching them; changes are
// shown at once and put back, with the server's explanation, when the server refuses them.
//
// Module map (docs/calendar.md): state.js what the page holds; appointments.js, schedule.js,
// suggestions.js, waitlist.js the event sources; mutations.js every change sent; probe.js the drag probe;
// dialogs.js the menu and dialogs; patient.js the patient panel; keyboard.js the shortcuts;
// api.js, live.js, tz.js, dom.js the plumbing. This file signs in and assembles the page.

import { ApiError, explain, getAll, getJson, login, setUnauthorizedHandler, token } from "./api.js";
import {
  appointmentContent,
  appointmentSource,
  applyServer,
  ensurePatients,
  forgetAppointments,
  reloadAppointments,
} from "./appointments.js";
import { closeMenu, onMenu, onMenuStatus, openCreate, openMenu, submitCancel, wireCreate } from "./dialogs.js";
import { $, button, fillSelect, form, select, toast } from "./dom.js";
import { onKey } from "./keyboard.js";
import { Live } from "./live.js";
import { onDrop, onResize, resizeAllowed } from "./mutations.js";
import { bookVisit, findVisit, onPatientAppointment, onPatientSearch, openVisit, quickBook } from "./patient.js";
import { probeHover, startProbe, stopProbe } from "./probe.js";
import { barContent, barId, barLabel, barProviders, isBar } from "./doctor_time.js";
import { backgroundContent, dayBounds, forgetSchedule, scheduleSource } from "./schedule.js";
import {
  cal,
  calendar,
  clinic,
  columnField,
  columns,
  defaultMode,
  may,
  offersMode,
  refetch,
  resourceName,
  state,
} from "./state.js";
import { clearSuggestions, suggest, suggestionContent, suggestionSource } from "./suggestions.js";
import * as tz from "./tz.js";
import { onAppointmentChanged, openWaitlist, waitlistContent, waitlistSource, wireWaitlist } from "./waitlist.js";

/** @param {EC.Event} ev */
function eventContent(ev) {
  const kind = ev.extendedProps?.kind;
  if (kind === "appointment" || kind === "pending") return appointmentContent(ev);
  if (kind === "suggestion") return suggestionContent(ev);
  if (kind === "bar" || kind === "overlap") return barContent(ev);
  if (kind === "waitlist") return waitlistContent(ev);
  return backgroundContent(ev);
}

/** @param {EC.ClickInfo} info */
function onEventClick(info) {
  const props = info.event.extendedProps;
  if (props.kind === "appointment") {
    const appt = state.appointments.get(info.event.id);
    if (appt) openMenu(appt, info.jsEvent.clientX, info.jsEvent.clientY);
  } else if (props.kind === "waitlist") {
    openWaitlist(props.gapId);
  } else if (props.kind === "suggestion") {
    const p = state.suggestions[props.rank].parts[0];
    openCreate({
      start: tz.wallDate(tz.toWall(p.startTime, state.zone)),
      end: tz.wallDate(tz.toWall(p.endTime, state.zone)),
      resourceId: p[columnField()] ?? undefined,
      typeId: p.appointmentTypeId,
      slot: p,
    });
  }
}

/** The provider bar's columns first (one per provider), then the chosen resources. */
function columnResources() {
  return [
    ...barProviders().map((p) => ({ id: barId(p.id), title: p.name })),
    ...columns().map((r) => ({ id: r.id, title: r.name })),
  ];
}

/**
 * EventCalendar gives every column the same width; the bar's columns need only a stripe's. The
 * grid's template is set for the resources and days shown (a week repeats them per day).
 */
function sizeColumns() {
  const root = $("#calendar");
  const bars = barProviders().length;
  const range = state.range;
  const days = range ? Math.max(1, Math.round((range.end.getTime() - range.start.getTime()) / 86400000)) : 1;
  // Several days side by side make every column narrow: bands and the bar become bare stripes.
  root.classList.toggle("several-days", days > 1);
  root.classList.toggle("with-bar", Boolean(bars && range));
  if (!bars || !range) {
    root.style.removeProperty("--slotwise-columns");
    return;
  }
  const bar = days > 1 ? "var(--slotwise-bar-stripe)" : "var(--slotwise-bar-width)";
  const perDay = [...Array(bars).fill(bar), ...Array(columns().length).fill("minmax(0, 1fr)")];
  root.style.setProperty("--slotwise-columns", `max-content repeat(${days}, ${perDay.join(" ")})`);
}

/** @param {EC.ResourceLabelInfo} info @returns {EC.Content | string} */
function resourceLabel(info) {
  if (!isBar(info.resource.id)) return info.resource.title ?? "";
  const provider = state.providers.find((p) => barId(p.id) === info.resource.id);
  return provider ? { domNodes: [barLabel(provider)] } : "";
}

function buildCalendar() {
  const [minT, maxT] = dayBounds();
  const gran = clinic().slotGranularityMinutes;
  const slotMinutes = gran >= 10 ? gran : 15;
  /** @param {number} m */
  const fmt = (m) => `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}:00`;
  // ?date=YYYY-MM-DD&view=day|week&columns=provider|chair|room: links straight to a day.
  const params = new URLSearchParams(location.search);
  const date = params.get("date") || "";
  cal.ec = EventCalendar.create($("#calendar"), {
    view: params.get("view") === "day" ? "resourceTimeGridDay" : "resourceTimeGridWeek",
    timeZone: "UTC", // fed the clinic's wall clock; see tz.js
    date: /^\d{4}-\d{2}-\d{2}$/.test(date) ? date : tz.clinicToday(state.zone),
    firstDay: 1,
    headerToolbar: { start: "prev,next today", center: "title", end: "resourceTimeGridDay,resourceTimeGridWeek" },
    /** @param {Record<string, string>} text */
    buttonText: (text) => ({ ...text, today: "Today", resourceTimeGridDay: "Day", resourceTimeGridWeek: "Week" }),
    datesAboveResources: true,
    resources: columnResources(),
    resourceLabelContent: resourceLabel,
    slotMinTime: `${minT}:00`,
    slotMaxTime: `${maxT}:00`,
    slotDuration: fmt(slotMinutes),
    snapDuration: fmt(gran),
    scrollTime: `${minT}:00`,
    height: "100%",
    nowIndicator: true,
    editable: true,
    selectable: true,
    eventStartEditable: true,
    eventDurationEditable: true,
    slotEventOverlap: false,
    eventTimeFormat: { hour: "2-digit", minute: "2-digit", hourCycle: "h23" },
    slotLabelFormat: { hour: "2-digit", minute: "2-digit", hourCycle: "h23" },
    eventSources: [scheduleSource, appointmentSource, suggestionSource, waitlistSource],
    /** @param {{event: EC.Event}} info */
    eventContent: (info) => eventContent(info.event),
    /** @param {EC.DatesInfo} info */
    datesSet: (info) => {
      state.range = { start: info.start, end: info.end };
      sizeColumns();
    },
    eventDragStart: () => {
      closeMenu();
      startProbe();
    },
    eventResizeStart: () => {
      closeMenu();
      startProbe();
    },
    // The bar's columns show doctor time; nothing is booked or moved into them.
    /** @param {EC.DragInfo} info */
    dragConstraint: (info) => !isBar(info.newResource?.id) && probeHover(info),
    resizeConstraint: resizeAllowed,
    eventDragStop: () => setTimeout(stopProbe, 0),
    eventResizeStop: () => setTimeout(stopProbe, 0),
    eventDrop: onDrop,
    eventResize: onResize,
    eventClick: onEventClick,
    /** @param {EC.DateClickInfo} info */
    dateClick: (info) => {
      closeMenu();
      if (isBar(info.resource?.id)) return;
      state.pasteTarget = { start: info.date, resourceId: info.resource?.id };
      $("#paste-target").textContent =
        `Paste target: ${tz.wallString(info.date).slice(5, 16).replace("T", " ")} · ${resourceName(info.resource?.id)}`;
    },
    /** @param {EC.SelectInfo} info */
    select: (info) => {
      if (may("booking:create_appointment") && !isBar(info.resource?.id)) openCreate({ start: info.start, end: info.end, resourceId: info.resource?.id });
      calendar().unselect();
    },
  });
}

/** @param {string} mode */
function setMode(mode) {
  if (!offersMode(mode)) return;
  state.mode = mode;
  calendar().setOption("resources", columnResources());
  sizeColumns();
  refetch();
}

/** @param {{appointment: Appointment}} msg */
async function onLiveAppointment(msg) {
  const appt = msg.appointment;
  if (appt.startTime) await ensurePatients([appt.patientId]);
  applyServer(appt);
  onAppointmentChanged(appt);
  if (appt.startTime) onPatientAppointment(appt);
}

async function start() {
  $("#login").hidden = true;
  $("#app").hidden = false;
  state.me = await getJson("/api/auth/me");
  const [clinics, types, providers, chairs, rooms, assistants] = await Promise.all([
    getJson("/api/clinics"),
    getAll("/api/appointment-types", 200),
    getAll("/api/providers", 200),
    getAll("/api/chairs", 200),
    getAll("/api/rooms", 200),
    assistantRows(),
  ]);
  state.clinic = /** @type {Page<ClinicRead>} */ (clinics).items[0];
  state.zone = clinic().timeZone;
  state.types = new Map(types.map((t) => [t.id, t]));
  /** @param {Resource[]} rows */
  const active = (rows) => rows.filter((r) => r.active);
  state.providers = active(providers);
  state.chairs = active(chairs);
  state.rooms = active(rooms);
  state.assistants = active(assistants);
  showAssistantColumns();
  forgetAppointments();
  forgetSchedule({ grid: true });
  $("#clinic-name").textContent = `${clinic().name} · ${state.zone}`;
  $("#user-name").textContent = state.me?.role ?? "";
  fillSelect(select("#suggest-type"), [...state.types.values()].filter((t) => t.active));
  cal.live = new Live({
    getToken: token.get,
    // After every (re)connect: whatever changed while the socket was down is loaded again.
    onReady: () => {
      forgetSchedule();
      reloadAppointments();
    },
    onAppointment: (msg) => onLiveAppointment(msg).catch((err) => toast(explain(err), "error")),
    onStatus: (status, why) => {
      const badge = $("#live-status");
      badge.dataset.state = status;
      badge.textContent = { live: "● live", connecting: "○ connecting", offline: "○ offline" }[status];
      badge.title = why || "";
    },
    onAuthLost: signOut,
  });
  const mode = new URLSearchParams(location.search).get("columns");
  state.mode = offersMode(mode) ? mode : defaultMode();
  select("#resource-mode").value = state.mode;
  buildCalendar();
  cal.live.connect();
  window.slotwiseCalendar = calendar(); // for people debugging in the console
}

/**
 * The clinic's assistants. A server without assistants (before they existed: 404) has none,
 * and the calendar is as it was; any other failure is an error.
 * @returns {Promise<Resource[]>}
 */
async function assistantRows() {
  try {
    return await getAll("/api/assistants", 200);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return [];
    throw err;
  }
}

/** The Assistants choice of the column picker, only for a clinic that has assistants. */
function showAssistantColumns() {
  const option = select("#resource-mode").querySelector('option[value="assistant"]');
  if (!(option instanceof HTMLOptionElement)) return;
  option.hidden = option.disabled = state.assistants.length === 0;
}

/** @param {unknown} [reason] */
function signOut(reason) {
  token.clear();
  cal.live?.close();
  if (cal.ec) EventCalendar.destroy(cal.ec);
  cal.ec = null;
  $("#app").hidden = true;
  $("#login").hidden = false;
  $("#login-error").textContent = typeof reason === "string" ? reason : "";
}

function wire() {
  setUnauthorizedHandler(() => signOut("Your session has ended; sign in again."));
  const loginForm = form("#login-form");
  loginForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    const data = new FormData(loginForm);
    try {
      await login(String(data.get("email")), String(data.get("password")));
      await start();
    } catch (err) {
      $("#login-error").textContent = explain(err);
    }
  });
  button("#logout").onclick = () => signOut("");
  select("#resource-mode").onchange = (e) => setMode(/** @type {HTMLSelectElement} */ (e.target).value);
  button("#suggest").onclick = suggest;
  button("#suggest-clear").onclick = clearSuggestions;
  $("#patient-search").oninput = onPatientSearch;
  button("#quick-book").onclick = quickBook;
  button("#visit-open").onclick = openVisit;
  button("#visit-find").onclick = findVisit;
  form("#visit-form").onsubmit = bookVisit;
  form("#cancel-form").onsubmit = submitCancel;
  wireCreate();
  wireWaitlist();
  for (const btn of document.querySelectorAll("[data-close]")) {
    if (btn instanceof HTMLElement) btn.onclick = () => btn.closest("dialog")?.close();
  }
  for (const btn of document.querySelectorAll("#menu [data-action]")) {
    if (btn instanceof HTMLElement) btn.onclick = () => onMenu(btn.dataset.action);
  }
  for (const btn of document.querySelectorAll("#menu [data-status]")) {
    if (btn instanceof HTMLElement) btn.onclick = () => onMenuStatus(btn.dataset.status);
  }
  document.addEventListener("keydown", onKey);
  document.addEventListener("click", (e) => {
    const target = e.target instanceof Element ? e.target : null;
    if (!$("#menu").hidden && !target?.closest("#menu") && !target?.closest(".ec-event")) closeMenu();
  });
  if (token.get()) start().catch(() => signOut(""));
}

wire();
