// @ts-check
// Over 500 lines on purpose (about 785, 85 of them JSDoc), in one file: it loads on a patient's
// phone inside a practice's page, and without a bundler in the project a module it imported
// would only be fetched once this one had arrived and been parsed: one more round trip on a
// mobile network before the widget shows. It is one class, the booking flow, whose methods follow
// the steps in order (types, days, times, who, confirm, done; manage/cancel/waitlist), with small
// DOM helpers above it. The API shapes it reads, which cost nothing to split out, are in
// slotwise-widget.d.ts (never served). Split the rest into modules once a build step bundles them.
//
// Slotwise online booking widget: a framework-free ES module that renders the booking flow for
// one clinic inside a Shadow DOM (so the host page's styles neither leak in nor out).
//
// Embed:
//   <div id="slotwise-booking" data-clinic="CLINIC_ID"></div>
//   <script type="module" src="https://booking.example/widget/slotwise-widget.js"></script>
//
// Optional: data-api="https://booking.example" (defaults to where this script came from).
// Deep link (SMART Scheduling Links' booking-deep-link, docs/fhir.md): a page URL carrying
// ?slotwise-type=TYPE_ID&slotwise-start=INSTANT opens the widget holding that time if it is free.
// Flow: type -> day -> time (held for a few minutes) -> sign in or new-patient details ->
// confirm -> confirmation with an .ics calendar file.

const SCRIPT_URL = new URL(import.meta.url);

/**
 * What a step needs and the flow has already chosen; its absence is a bug in the step order,
 * so say which step went wrong rather than fail on a null further down.
 * @template T
 * @param {T | null | undefined} value
 * @param {string} what
 * @returns {T}
 */
function need(value, what) {
  if (value === null || value === undefined) throw new Error(`The booking flow has no ${what} yet.`);
  return value;
}

class ApiError extends Error {
  /**
   * @param {number} status
   * @param {Problem | null} problem
   */
  constructor(status, problem) {
    super((problem && problem.detail) || `Request failed (${status})`);
    this.status = status;
    this.problem = problem || {};
  }
}

/**
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, any>} [attrs]
 * @param {...(Child | Child[])} children
 * @returns {HTMLElementTagNameMap[K]}
 */
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "text") node.textContent = value;
    // Through the CSSOM, not a style attribute: a practice's CSP without 'unsafe-inline' allows it.
    else if (key === "style") node.style.cssText = String(value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function newKey() {
  if (globalThis.crypto && crypto.randomUUID) return crypto.randomUUID();
  return `${Date.now()}-${Math.random().toString(16).slice(2)}`;
}

export class SlotwiseWidget {
  /** @param {HTMLElement} host */
  constructor(host) {
    this.host = host;
    // mountAll only mounts hosts naming a clinic; a page calling mount() without one gets the
    // portal's 404 for "undefined", as before the type check.
    this.clinicId = String(host.dataset.clinic);
    this.api = (host.dataset.api || SCRIPT_URL.origin).replace(/\/$/, "");
    this.root = host.attachShadow({ mode: "open" });
    /** @type {WidgetState} */
    this.state = {
      clinic: null, type: null, availability: null, day: null, slot: null, hold: null,
      patientToken: null, guestToken: null, details: null, notes: "", conflict: null,
      confirmation: null, bookingKey: null,
    };
    const css = el("link", { rel: "stylesheet", href: new URL("slotwise-widget.css", SCRIPT_URL).href });
    this.frame = el("section", { class: "sw", "aria-live": "polite" });
    this.started = false;
    this.root.append(css, this.frame);
    const linked = new URL(window.location.href).searchParams;
    /** The deep link's type and time, followed once. @type {{typeId: string | null, start: string | null}} */
    this.linked = { typeId: linked.get("slotwise-type"), start: linked.get("slotwise-start") };
  }

  // ------------------------------------------------------------------ HTTP

  /**
   * One call to the booking service; a refusal throws ApiError with the problem+json body.
   * @param {string} method
   * @param {string} path
   * @param {{token?: string | null, json?: unknown, form?: Record<string, string>, headers?: Record<string, string>}} [options]
   */
  async request(method, path, { token, json, form, headers = {} } = {}) {
    /** @type {Record<string, string>} */
    const sent = { Accept: "application/json", ...headers };
    /** @type {RequestInit} */
    const init = { method, headers: sent };
    if (token) sent.Authorization = `Bearer ${token}`;
    if (json !== undefined) {
      sent["Content-Type"] = "application/json";
      init.body = JSON.stringify(json);
    } else if (form) {
      init.body = new URLSearchParams(form);
    }
    let response;
    try {
      response = await fetch(this.api + path, init);
    } catch (err) {
      throw new ApiError(0, { detail: "We could not reach the booking service. Check your connection and try again." });
    }
    if (response.status === 204) return null;
    const body = await response.json().catch(() => null);
    if (!response.ok) throw new ApiError(response.status, body);
    return body;
  }

  token() {
    return this.state.patientToken || this.state.guestToken;
  }

  clinic() { return need(this.state.clinic, "clinic"); }

  type() { return need(this.state.type, "appointment type"); }

  slot() { return need(this.state.slot, "chosen time"); }

  availability() { return need(this.state.availability, "free times"); }

  async ensureGuest() {
    if (this.state.guestToken) return;
    const session = await this.request("POST", "/api/patient-portal/guest-session", {
      json: { clinicId: this.clinicId },
    });
    this.state.guestToken = session.guestToken;
  }

  // ------------------------------------------------------------------ formatting

  zoneLabel() {
    const zone = this.clinic().timeZone;
    try {
      const parts = new Intl.DateTimeFormat("en-GB", { timeZone: zone, timeZoneName: "short" })
        .formatToParts(new Date());
      const short = parts.find((p) => p.type === "timeZoneName");
      return short ? `${zone} (${short.value})` : zone;
    } catch {
      return zone;
    }
  }

  /** @param {string} isoDate */
  dayLabel(isoDate) {
    // A clinic-local calendar date: format it as a date, not as an instant in the visitor's zone.
    const [y, m, d] = isoDate.split("-").map(Number);
    return new Intl.DateTimeFormat("en-GB", {
      weekday: "long", day: "numeric", month: "long", timeZone: "UTC",
    }).format(new Date(Date.UTC(y, m - 1, d, 12)));
  }

  /** @param {string} instant */
  localTime(instant) {
    return new Intl.DateTimeFormat("en-GB", {
      hour: "2-digit", minute: "2-digit", timeZone: this.clinic().timeZone,
    }).format(new Date(instant));
  }

  // ------------------------------------------------------------------ rendering

  /**
   * @param {string} stepName
   * @param {string} title
   * @param {...(Child | Child[])} body
   */
  render(stepName, title, ...body) {
    const heading = el("h2", { tabindex: "-1", class: "sw-title", id: `sw-${stepName}` }, title);
    this.frame.replaceChildren(
      el("div", { class: "sw-step", "data-step": stepName, role: "group", "aria-labelledby": `sw-${stepName}` },
        heading, ...body),
    );
    this.frame.dataset.step = stepName;
    // Keyboard and screen-reader users land on the new step's heading; not on page load,
    // where taking focus would scroll the host page to the widget.
    if (this.started) heading.focus();
    this.started = true;
  }

  /** @param {unknown} [error] */
  errorBox(error) {
    if (!error) return null;
    return el("p", { class: "sw-error", role: "alert" }, (error instanceof Error && error.message) || String(error));
  }

  /**
   * @param {string} label
   * @param {() => void} action
   */
  backButton(label, action) {
    return el("button", { type: "button", class: "sw-link", onclick: action }, `← ${label}`);
  }

  async start() {
    this.frame.replaceChildren(el("p", { class: "sw-muted" }, "Loading online booking…"));
    try {
      this.state.clinic = await this.request("GET", `/api/patient-portal/clinics/${encodeURIComponent(this.clinicId)}`);
    } catch (error) {
      const box = this.errorBox(error);
      this.frame.replaceChildren(...(box ? [box] : []));
      return;
    }
    const linkedType = this.clinic().appointmentTypes.find((t) => t.id === this.linked.typeId);
    this.linked.typeId = null;
    if (linkedType) await this.chooseType(linkedType);
    else this.showTypes();
  }

  /** @param {unknown} [error] */
  showTypes(error) {
    const clinic = this.clinic();
    const buttons = clinic.appointmentTypes.map((type) =>
      el("li", {},
        el("button", {
          type: "button", class: "sw-choice", "data-type-id": type.id,
          onclick: () => this.chooseType(type),
        },
        el("span", { class: "sw-swatch", style: `background:${type.color}`, "aria-hidden": "true" }),
        el("span", { class: "sw-choice-main" }, type.name),
        el("span", { class: "sw-muted" },
          `${type.duration} min${type.newPatientBookable ? " · new patients welcome" : " · registered patients"}`)),
      ));
    this.render("type", `Book at ${clinic.name}`,
      this.errorBox(error),
      el("p", {}, "What would you like to book?"),
      buttons.length ? el("ul", { class: "sw-list" }, buttons)
        : el("p", {}, "Online booking is not available right now; please call us."),
      el("button", { type: "button", class: "sw-secondary", onclick: () => this.manage() },
        "Manage my appointments"),
    );
  }

  // ------------------------------------------------------------------ my appointments

  manage() {
    if (this.state.patientToken) this.showManage();
    else this.showSignIn({ before: "manage" });
  }

  /** @param {Fee} fee */
  money(fee) {
    return new Intl.NumberFormat("en-GB", { style: "currency", currency: fee.currency })
      .format(Number(fee.amount));
  }

  /**
   * @param {unknown} [error]
   * @param {string} [notice]
   */
  async showManage(error, notice) {
    /** @type {OwnAppointment[]} */
    let appointments = [];
    /** @type {Map<string, WaitlistSpot>} the waitlist entries by the booking they would replace */
    const waiting = new Map();
    try {
      const token = this.state.patientToken;
      // The waitlist only adds a line per appointment: the list still shows without it.
      const [own, spots] = await Promise.all([
        this.request("GET", "/api/patient-portal/appointments", { token }),
        this.request("GET", "/api/patient-portal/waitlist", { token }).catch(() => []),
      ]);
      appointments = own;
      // Every entry the patient ever had is listed; only a waiting or offered one is "on" it.
      for (const spot of /** @type {WaitlistSpot[]} */ (spots)) {
        const on = spot.status === "waiting" || spot.status === "offered";
        if (on && spot.replacesAppointmentId) waiting.set(spot.replacesAppointmentId, spot);
      }
    } catch (err) {
      error = err;
    }
    /** @param {OwnAppointment} a */
    const item = (a) => {
      const spot = waiting.get(a.id);
      const day = this.dayLabel(a.localStart.slice(0, 10));
      return el("li", { class: "sw-appointment", "data-appointment-id": a.id },
        el("span", { class: "sw-choice-main" }, a.appointmentTypeName),
        el("span", {}, `${day} at ${a.localStart.slice(11)} (${a.timeZone})`),
        spot ? el("span", { class: "sw-muted sw-waitlisted" }, "On the waitlist for an earlier time") : null,
        spot ? el("button", {
          type: "button", class: "sw-secondary", "aria-label": `Leave the waitlist for ${a.appointmentTypeName} on ${day}`,
          onclick: () => this.leaveWaitlist(spot),
        }, "Leave the waitlist") : null,
        a.canCancel ? el("button", {
          type: "button", class: "sw-secondary",
          "aria-label": `Cancel ${a.appointmentTypeName} on ${day}`,
          onclick: () => this.showCancel(a),
        }, "Cancel") : null);
    };
    this.render("manage", "Your appointments",
      this.errorBox(error),
      notice ? el("p", { class: "sw-notice", role: "status" }, notice) : null,
      appointments.length ? el("ul", { class: "sw-list" }, appointments.map(item))
        : el("p", {}, "You have no upcoming appointments."),
      this.backButton("Book an appointment", () => this.showTypes()),
    );
  }

  /**
   * @param {OwnAppointment} appointment
   * @param {unknown} [error]
   */
  showCancel(appointment, error) {
    const when = `${this.dayLabel(appointment.localStart.slice(0, 10))} at ${appointment.localStart.slice(11)}`;
    const fee = appointment.lateCancelFee;
    this.render("cancel", "Cancel this appointment?",
      this.errorBox(error),
      el("p", { class: "sw-summary" }, el("strong", {}, appointment.appointmentTypeName), ` on ${when} (${appointment.timeZone})`),
      fee ? el("p", { class: "sw-fee" },
        `This is inside the clinic's late-cancellation window: cancelling now costs ${this.money(fee)}.`)
        : el("p", {}, "There is no charge for cancelling now."),
      el("div", { class: "sw-actions" },
        el("button", { type: "button", class: "sw-primary", onclick: () => this.cancel(appointment) },
          fee ? `Cancel and pay ${this.money(fee)}` : "Yes, cancel it"),
        el("button", { type: "button", class: "sw-secondary", onclick: () => this.showManage() }, "Keep it")),
    );
  }

  /** @param {OwnAppointment} appointment */
  async cancel(appointment) {
    try {
      await this.request("POST", `/api/patient-portal/appointments/${appointment.id}/cancel`, {
        token: this.state.patientToken,
        json: { acceptFee: Boolean(appointment.lateCancelFee) },
      });
    } catch (error) {
      this.showCancel(appointment, error);
      return;
    }
    await this.showManage(undefined, `Your ${appointment.appointmentTypeName} is cancelled.`);
  }

  /** @param {WaitlistSpot} spot */
  async leaveWaitlist(spot) {
    try {
      await this.request("DELETE", `/api/patient-portal/waitlist/${spot.id}`, { token: this.state.patientToken });
    } catch (error) {
      await this.showManage(error);
      return;
    }
    await this.showManage(undefined, "You have left the waitlist; your booking stays as it is.");
  }

  /** @param {TypeOption} type */
  async chooseType(type) {
    this.state.type = type;
    this.state.conflict = null;
    if (!type.newPatientBookable && !this.state.patientToken) {
      this.showSignIn({ before: "days" });
      return;
    }
    await this.loadDays();
  }

  /** @param {unknown} [error] */
  async loadDays(error) {
    try {
      if (!this.state.patientToken) await this.ensureGuest();
      const query = new URLSearchParams({ appointmentTypeId: this.type().id });
      this.state.availability = await this.request("GET", `/api/patient-portal/available-slots?${query}`, {
        token: this.token(),
      });
    } catch (err) {
      this.showTypes(err);
      return;
    }
    const linked = this.linked.start;
    this.linked.start = null;
    if (linked) {
      const when = Date.parse(linked);
      const slot = this.availability().days.flatMap((d) => d.slots)
        .find((s) => Date.parse(s.startTime) === when);
      if (slot) {
        await this.chooseTime(slot);
        return;
      }
      error = new Error("The time you followed a link to is no longer free; please choose another.");
    }
    this.showDays(error);
  }

  /** @param {unknown} [error] */
  showDays(error) {
    const days = this.availability().days;
    const list = days.map((day) =>
      el("li", {},
        el("button", {
          type: "button", class: "sw-choice", "data-date": day.date,
          onclick: () => this.chooseDay(day.date),
        },
        el("span", { class: "sw-choice-main" }, this.dayLabel(day.date)),
        el("span", { class: "sw-muted" }, `${day.slots.length} time${day.slots.length === 1 ? "" : "s"}`))));
    this.render("day", `${this.type().name}: choose a day`,
      this.errorBox(error),
      days.length ? el("ul", { class: "sw-list sw-days" }, list)
        : el("p", {}, "No free times in the next two weeks; please call us."),
      this.backButton("Appointment type", () => this.showTypes()),
    );
  }

  /** @param {string} date */
  chooseDay(date) {
    this.state.day = date;
    this.showTimes();
  }

  showTimes() {
    const { conflict } = this.state;
    const day = need(this.state.day, "day");
    const entry = this.availability().days.find((d) => d.date === day);
    const slots = entry ? entry.slots : [];
    const zone = this.zoneLabel();
    /** @param {Slot} slot */
    const timeButton = (slot) => el("li", {},
      el("button", {
        type: "button", class: "sw-time", "data-start": slot.startTime,
        "aria-label": `${slot.localTime} ${this.clinic().timeZone}`,
        onclick: () => this.chooseTime(slot),
      }, slot.localTime, slot.providerName ? el("span", { class: "sw-muted" }, ` ${slot.providerName}`) : null));
    const conflictBox = conflict ? el("div", { class: "sw-conflict", role: "alert" },
      el("p", {}, conflict.message),
      conflict.alternatives.length ? el("p", {}, "These times are free:") : null,
      el("ul", { class: "sw-times sw-alternatives" }, conflict.alternatives.map((slot) => el("li", {},
        el("button", {
          type: "button", class: "sw-time", "data-start": slot.startTime,
          onclick: () => this.chooseTime(slot),
        }, `${this.dayLabel(this.localDate(slot.startTime))} ${slot.localTime}`)))),
    ) : null;
    this.render("time", `${this.dayLabel(day)}: choose a time`,
      conflictBox,
      el("p", { class: "sw-zone" }, `Times are shown in the clinic's time zone, ${zone}.`),
      slots.length ? el("ul", { class: "sw-times" }, slots.map(timeButton))
        : el("p", {}, "No free times left on this day; choose another day."),
      this.backButton("Days", () => this.showDays()),
    );
  }

  /** @param {string} instant */
  localDate(instant) {
    const parts = new Intl.DateTimeFormat("en-CA", {
      year: "numeric", month: "2-digit", day: "2-digit", timeZone: this.clinic().timeZone,
    }).format(new Date(instant));
    return parts; // en-CA formats as YYYY-MM-DD
  }

  /** @param {Slot} slot */
  choiceOf(slot) {
    return {
      appointmentTypeId: this.type().id,
      startTime: slot.startTime,
      providerId: slot.providerId,
      chairId: slot.chairId,
      roomId: slot.roomId,
    };
  }

  /** @param {ApiError} error */
  async conflictFrom(error) {
    // A 409 carries fresh alternatives; refresh the listed times too.
    this.state.conflict = {
      message: error.message,
      alternatives: (error.problem && error.problem.alternatives) || [],
    };
    try {
      const query = new URLSearchParams({ appointmentTypeId: this.type().id });
      this.state.availability = await this.request("GET", `/api/patient-portal/available-slots?${query}`, {
        token: this.token(),
      });
    } catch {
      // keep the old list; the alternatives are fresh anyway
    }
    this.showTimes();
  }

  /** @param {Slot} slot */
  async chooseTime(slot) {
    this.state.slot = slot;
    this.state.day = this.localDate(slot.startTime);
    try {
      this.state.hold = await this.request("POST", "/api/patient-portal/holds", {
        token: this.token(), json: this.choiceOf(slot),
      });
    } catch (error) {
      // request() throws ApiError for every refusal; anything else is shown as it is.
      const refusal = error instanceof ApiError ? error : new ApiError(0, { detail: error instanceof Error ? error.message : String(error) });
      // The time is free but cannot be held now (the day's online holds are full, or it was
      // held for this person long enough): carry on without a hold; booking checks it again.
      const type = String(refusal.problem.type || "");
      if (refusal.status === 409 && (type.endsWith("/holds-full") || type.endsWith("/hold-too-long"))) {
        this.state.hold = null;
        this.state.conflict = null;
        if (this.state.patientToken || this.state.details) this.showConfirm();
        else this.showWho();
        return;
      }
      if (refusal.status === 409) {
        await this.conflictFrom(refusal);
        return;
      }
      this.state.conflict = { message: refusal.message, alternatives: [] };
      this.showTimes();
      return;
    }
    this.state.conflict = null;
    if (this.state.patientToken || this.state.details) this.showConfirm();
    else this.showWho();
  }

  holdNote() {
    const { hold } = this.state;
    if (!hold) return null;
    return el("p", { class: "sw-muted sw-hold" },
      `We are holding this time for you until ${this.localTime(hold.expiresAt)}.`);
  }

  summary() {
    const type = this.type();
    const slot = this.slot();
    return el("p", { class: "sw-summary" },
      el("strong", {}, type.name), " on ", this.dayLabel(this.localDate(slot.startTime)),
      ` at ${slot.localTime} (${this.clinic().timeZone})`);
  }

  /** @param {unknown} [error] */
  showWho(error) {
    const options = [
      el("button", { type: "button", class: "sw-primary", onclick: () => this.showSignIn({ before: "confirm" }) },
        "I am a patient here: sign in"),
    ];
    if (this.type().newPatientBookable) {
      options.push(el("button", { type: "button", class: "sw-secondary", onclick: () => this.showNewPatient() },
        "I am new: enter my details"));
    }
    this.render("who", "Who is the appointment for?",
      this.errorBox(error), this.summary(), this.holdNote(),
      el("div", { class: "sw-actions" }, options),
      this.backButton("Times", () => this.showTimes()),
    );
  }

  /**
   * @param {string} id
   * @param {string} label
   * @param {Record<string, string | boolean | undefined>} attrs
   */
  field(id, label, attrs) {
    return el("div", { class: "sw-field" },
      el("label", { for: id }, label),
      el("input", { id, name: id, ...attrs }));
  }

  /**
   * @param {{before: AfterSignIn}} next
   * @param {unknown} [error]
   */
  showSignIn({ before }, error) {
    const form = el("form", { class: "sw-form", novalidate: true },
      this.field("sw-email", "Email", { type: "email", autocomplete: "username", required: true }),
      this.field("sw-password", "Password", { type: "password", autocomplete: "current-password", required: true }),
      el("button", { type: "submit", class: "sw-primary" }, "Sign in"));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.signIn(form, before);
    });
    this.render("signin", "Sign in to the patient portal",
      this.errorBox(error),
      this.state.slot && before === "confirm" ? this.summary() : null,
      form,
      this.backButton("Back", () => (before === "confirm" ? this.showWho() : this.showTypes())),
    );
  }

  /**
   * @param {HTMLFormElement} form
   * @param {AfterSignIn} before
   */
  async signIn(form, before) {
    const data = new FormData(form);
    try {
      const token = await this.request("POST", "/api/auth/token", {
        // client_id names the clinic: the same address may have accounts at other clinics.
        form: {
          username: String(data.get("sw-email")),
          password: String(data.get("sw-password")),
          client_id: String(this.clinicId),
        },
      });
      this.state.patientToken = token.access_token;
    } catch (error) {
      this.showSignIn({ before }, error);
      return;
    }
    if (before === "days") {
      await this.loadDays();
      return;
    }
    if (before === "manage") {
      await this.showManage();
      return;
    }
    // The time was held for the guest session; hand the hold over to the signed-in patient.
    try {
      await this.request("DELETE", "/api/patient-portal/holds", { token: this.state.guestToken });
    } catch {
      // an expired guest session holds nothing
    }
    await this.chooseTime(this.slot());
  }

  /** @param {unknown} [error] */
  showNewPatient(error) {
    /** @type {Partial<Details>} */
    const d = this.state.details || {};
    const form = el("form", { class: "sw-form", novalidate: true },
      this.field("sw-first", "First name", { autocomplete: "given-name", required: true, value: d.firstName }),
      this.field("sw-last", "Last name", { autocomplete: "family-name", required: true, value: d.lastName }),
      this.field("sw-dob", "Date of birth", { type: "date", autocomplete: "bday", required: true, value: d.dateOfBirth }),
      this.field("sw-new-email", "Email", { type: "email", autocomplete: "email", required: true, value: d.email }),
      this.field("sw-phone", "Phone", { type: "tel", autocomplete: "tel", required: true, value: d.phone }),
      el("button", { type: "submit", class: "sw-primary" }, "Continue"));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const data = new FormData(form);
      const details = {
        firstName: String(data.get("sw-first") || "").trim(),
        lastName: String(data.get("sw-last") || "").trim(),
        dateOfBirth: String(data.get("sw-dob") || ""),
        email: String(data.get("sw-new-email") || "").trim(),
        phone: String(data.get("sw-phone") || "").trim(),
      };
      const missing = Object.entries(details).filter(([, v]) => !v).map(([k]) => k);
      if (missing.length) {
        this.state.details = details;
        this.showNewPatient(new Error("Please fill in every field: we need them to confirm your booking."));
        return;
      }
      this.state.details = details;
      this.showConfirm();
    });
    this.render("details", "Your details",
      this.errorBox(error), this.summary(), this.holdNote(),
      el("p", { class: "sw-muted" }, "New patients: we will call or email to confirm your consultation."),
      form,
      this.backButton("Back", () => this.showWho()),
    );
  }

  /** @param {unknown} [error] */
  showConfirm(error) {
    const notes = el("textarea", { id: "sw-notes", name: "sw-notes", rows: "3", maxlength: "4000" });
    notes.value = this.state.notes;
    const confirm = el("button", { type: "button", class: "sw-primary", onclick: () => {
      this.state.notes = notes.value;
      this.book();
    } }, "Confirm booking");
    const who = this.state.patientToken
      ? el("p", {}, "Booking as the signed-in patient.")
      : el("p", {}, `Booking for ${need(this.state.details, "patient details").firstName} ${need(this.state.details, "patient details").lastName} (new patient).`);
    this.render("confirm", "Confirm your booking",
      this.errorBox(error), this.summary(), who, this.holdNote(),
      el("div", { class: "sw-field" }, el("label", { for: "sw-notes" }, "Anything we should know? (optional)"), notes),
      el("div", { class: "sw-actions" }, confirm),
      this.backButton("Change time", () => this.showTimes()),
    );
  }

  async book() {
    const key = this.state.bookingKey || (this.state.bookingKey = newKey());
    const body = { ...this.choiceOf(this.slot()), patientNotes: this.state.notes || null };
    let confirmation;
    try {
      if (this.state.patientToken) {
        confirmation = await this.request("POST", "/api/patient-portal/book", {
          token: this.state.patientToken, json: body, headers: { "Idempotency-Key": key },
        });
      } else {
        confirmation = await this.request("POST", "/api/patient-portal/new-patient-bookings", {
          token: this.state.guestToken,
          json: { ...body, patient: this.state.details },
          headers: { "Idempotency-Key": key },
        });
      }
    } catch (error) {
      this.state.bookingKey = null; // a refused booking may be retried as a new request
      if (error instanceof ApiError && error.status === 409 && error.problem.alternatives) {
        await this.conflictFrom(error);
        return;
      }
      this.showConfirm(error);
      return;
    }
    this.state.bookingKey = null;
    this.state.confirmation = confirmation;
    this.state.hold = null;
    this.showDone();
  }

  showDone() {
    const c = need(this.state.confirmation, "confirmation");
    const blob = new Blob([c.ics], { type: "text/calendar" });
    const link = el("a", {
      class: "sw-primary sw-download", href: URL.createObjectURL(blob), download: "appointment.ics",
    }, "Add to calendar (.ics)");
    this.render("done", c.needsConfirmation ? "Booking received" : "You are booked",
      el("p", {}, el("strong", {}, c.appointmentTypeName), " on ",
        this.dayLabel(c.localStart.slice(0, 10)), ` at ${c.localStart.slice(11)} (${c.timeZone}).`),
      c.needsConfirmation
        ? el("p", {}, "As a new patient, the clinic will contact you to confirm this appointment.")
        : el("p", {}, "We look forward to seeing you."),
      el("p", { class: "sw-muted" }, `Reference: ${c.id}`),
      // Open Dental's "notify me if earlier": only a signed-in patient has a list to be on.
      this.state.patientToken && !c.needsConfirmation ? el("div", { class: "sw-earlier" },
        el("button", { type: "button", class: "sw-secondary", onclick: () => this.joinWaitlist(c) },
          "Tell me if an earlier time frees up")) : null,
      el("div", { class: "sw-actions" }, link,
        el("button", { type: "button", class: "sw-secondary", onclick: () => this.restart() }, "Book another")),
    );
  }

  /** Puts the booking just made on the waitlist for an earlier time. @param {Confirmation} c */
  async joinWaitlist(c) {
    const box = this.root.querySelector(".sw-earlier");
    try {
      await this.request("POST", "/api/patient-portal/waitlist", {
        token: this.state.patientToken, json: { replacesAppointmentId: c.id },
      });
    } catch (error) {
      box?.replaceChildren(this.errorBox(error) || "");
      return;
    }
    box?.replaceChildren(el("p", { class: "sw-notice", role: "status" },
      "You are on the waitlist. If an earlier time frees up we will email you a link to take it; " +
      "until then this booking stays as it is."));
  }

  restart() {
    Object.assign(this.state, {
      type: null, availability: null, day: null, slot: null, hold: null, details: null, notes: "",
      conflict: null, confirmation: null, guestToken: null,
    });
    this.showTypes();
  }
}

/** @param {HTMLElement & {slotwise?: SlotwiseWidget}} host */
export function mount(host) {
  if (host.slotwise) return host.slotwise;
  const widget = new SlotwiseWidget(host);
  host.slotwise = widget;
  widget.start();
  return widget;
}

function mountAll() {
  document.querySelectorAll("#slotwise-booking, [data-slotwise-booking]").forEach((host) => {
    if (host instanceof HTMLElement && host.dataset.clinic) mount(host);
  });
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mountAll);
else mountAll();
