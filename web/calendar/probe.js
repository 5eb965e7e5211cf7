// @ts-check
// The conflict probe while a block is dragged or resized: each new hovered position is sent
// over the live channel (one in flight, the latest wins) and the answer colours the block and
// fills the tip beside the pointer. The server has the last word on the drop; this only warns.

import { $, minutesBetween } from "./dom.js";
import { cal, columnField, setDragging, state } from "./state.js";
import * as tz from "./tz.js";

const probe = {
  active: false,
  /** @type {string | null} */
  key: null,
  inFlight: false,
  /** @type {{key: string, req: Record<string, unknown>} | null} */
  next: null,
  note: "",
};

/**
 * Probes the hovered position of a dragged or resized block.
 * @param {EC.DragInfo} info
 * @param {number | null} [minutes] the duration the drop will get, if not the block's
 * @param {string} [note] said before the answer (e.g. a resize that stops at a bound)
 * @returns {true}
 */
export function probeHover(info, minutes = null, note = "") {
  const ev = info.event;
  const resourceId = info.newResource?.id ?? ev.resourceIds[0];
  const span = minutes ?? minutesBetween(ev.start, ev.end);
  const key = `${ev.id}|${ev.start.getTime()}|${span}|${resourceId}`;
  const appt = state.appointments.get(ev.id);
  if (key !== probe.key && appt) {
    probe.key = key;
    probe.note = note;
    setProbeState("checking", "Checking…");
    probe.next = {
      key,
      req: {
        appointmentId: appt.id,
        startTime: tz.wallToIso(ev.start, state.zone),
        duration: span,
        [columnField()]: resourceId,
      },
    };
    pump();
  }
  return true;
}

async function pump() {
  if (probe.inFlight || !probe.next || !cal.live) return;
  const { key, req } = probe.next;
  probe.next = null;
  probe.inFlight = true;
  const reply = await cal.live.probe(req);
  probe.inFlight = false;
  if (probe.active && key === probe.key && reply) {
    const note = probe.note ? `${probe.note} ` : "";
    if (reply.error) setProbeState("conflict", reply.error);
    else if (reply.ok) setProbeState("ok", `${note}Free`);
    else setProbeState("conflict", note + reply.conflicts.map((c) => c.message).join(" "));
  }
  pump();
}

/** @param {"checking" | "ok" | "conflict"} kind @param {string} text */
function setProbeState(kind, text) {
  const root = $("#calendar");
  root.classList.toggle("drag-conflict", kind === "conflict");
  root.classList.toggle("drag-ok", kind === "ok");
  const tip = $("#probe-tip");
  tip.hidden = !probe.active;
  tip.dataset.state = kind;
  tip.textContent = text;
}

export function startProbe() {
  probe.active = true;
  probe.key = null;
  setDragging(true);
  document.addEventListener("mousemove", moveTip);
}

export function stopProbe() {
  probe.active = false;
  probe.key = null;
  probe.next = null;
  document.removeEventListener("mousemove", moveTip);
  $("#calendar").classList.remove("drag-conflict", "drag-ok");
  $("#probe-tip").hidden = true;
  setDragging(false);
}

/** @param {MouseEvent} e */
function moveTip(e) {
  const tip = $("#probe-tip");
  tip.style.left = `${e.clientX + 16}px`;
  tip.style.top = `${e.clientY + 12}px`;
}
