// @ts-check
// The page a waitlist offer mail links to (docs/waitlist.md, "The patient's side"): it reads
// the offer its signed token names, and books it or declines it. The token is the credential:
// it is kept in memory and taken out of the address bar, so it is not left in the history or
// shown over someone's shoulder once the page has read it.

/**
 * @typedef {{status: string, clinicName: string, timeZone: string, appointmentTypeName: string,
 *   startTime: string, endTime: string, localStart: string, providerName?: string | null,
 *   expiresAt: string, bookedAppointmentId: string | null, message?: string}} Offer
 * @typedef {{detail?: string, title?: string, status?: string}} OfferProblem
 */

const API = "/api/patient-portal/waitlist-offer";

/** What each status means for the patient, in their words. */
const SAY = {
  open: "This time has become free. It is yours if you book it before the offer closes.",
  accepted: "Booked. Your later booking has been cancelled, and we look forward to seeing you sooner.",
  taken: "Another patient took this time a moment before you. You are still on the waitlist.",
  declined: "No problem: you are still on the waitlist, and we will tell you if another time frees up.",
  expired: "This offer has closed. You are still on the waitlist.",
  withdrawn: "The practice has withdrawn this offer. You are still on the waitlist.",
};

/** @template {HTMLElement} T @param {string} id @returns {T} */
function $(id) {
  const found = document.getElementById(id);
  if (!found) throw new Error(`The page has no #${id}`);
  return /** @type {T} */ (found);
}

/** @param {string} text @param {"info" | "ok" | "error"} [kind] */
function say(text, kind = "info") {
  const box = $("offer-message");
  box.textContent = text;
  box.dataset.kind = kind;
}

/** @param {string} iso @param {string} zone */
function local(iso, zone) {
  return new Intl.DateTimeFormat(undefined, { dateStyle: "full", timeStyle: "short", timeZone: zone }).format(new Date(iso));
}

/** @param {Offer} offer */
function show(offer) {
  $("offer-details").hidden = false;
  $("offer-clinic").textContent = offer.clinicName;
  $("offer-type").textContent = offer.appointmentTypeName;
  $("offer-when").textContent = `${local(offer.startTime, offer.timeZone)} (${offer.timeZone})`;
  const named = Boolean(offer.providerName);
  $("offer-provider-label").hidden = !named;
  $("offer-provider").hidden = !named;
  $("offer-provider").textContent = offer.providerName || "";
  $("offer-expires").textContent = local(offer.expiresAt, offer.timeZone);
  const status = /** @type {keyof typeof SAY} */ (offer.status);
  const words = offer.message || SAY[status] || `This offer is ${offer.status}.`;
  say(words, status === "accepted" ? "ok" : status === "open" ? "info" : "error");
  $("offer-actions").hidden = offer.status !== "open";
  document.body.dataset.status = offer.status;
}

/**
 * @param {string} url @param {RequestInit} [init]
 * @returns {Promise<{ok: boolean, status: number, body: Offer & OfferProblem}>}
 */
async function call(url, init) {
  const resp = await fetch(url, { ...init, headers: { Accept: "application/json", ...(init?.headers || {}) } });
  const body = await resp.json().catch(() => ({}));
  return { ok: resp.ok, status: resp.status, body };
}

/** @param {string} token @param {"accept" | "decline"} action */
async function respond(token, action) {
  for (const id of ["offer-accept", "offer-decline"]) /** @type {HTMLButtonElement} */ ($(id)).disabled = true;
  try {
    const { ok, body } = await call(`${API}/${action}`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ token }),
    });
    // A 409 is the offer as it now stands (taken, expired, withdrawn), with the reason.
    if (ok || (body.status && body.status in SAY && body.startTime)) return show(body);
    say(body.detail || body.title || "That did not work; please try again or call the practice.", "error");
  } catch {
    say("The practice's booking service cannot be reached; check your connection and try again.", "error");
  } finally {
    for (const id of ["offer-accept", "offer-decline"]) /** @type {HTMLButtonElement} */ ($(id)).disabled = false;
  }
}

async function main() {
  const token = new URLSearchParams(location.search).get("token");
  if (!token) return say("This link is incomplete. Please open the whole link from the email.", "error");
  history.replaceState(null, "", location.pathname);
  try {
    const { ok, body } = await call(`${API}?${new URLSearchParams({ token })}`);
    if (!ok) {
      document.body.dataset.status = "invalid";
      return say(body.detail || "This link is not valid. Please open the whole link from the email.", "error");
    }
    show(body);
  } catch {
    return say("The practice's booking service cannot be reached; check your connection and try again.", "error");
  }
  $("offer-accept").onclick = () => respond(token, "accept");
  $("offer-decline").onclick = () => respond(token, "decline");
}

main();
