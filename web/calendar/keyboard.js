// @ts-check
// Keyboard shortcuts: copy and paste, cancel, views and navigation, patient search, Esc.

import { $, toast } from "./dom.js";
import { closeMenu, copyAppointment, openCancel } from "./dialogs.js";
import { duplicate } from "./mutations.js";
import { calendar, selected, state } from "./state.js";
import { clearSuggestions } from "./suggestions.js";
import * as tz from "./tz.js";

/** @param {KeyboardEvent} e */
export function onKey(e) {
  const typing = ["INPUT", "SELECT", "TEXTAREA"].includes(document.activeElement?.tagName ?? "");
  if (e.key === "Escape") {
    closeMenu();
    clearSuggestions();
    return;
  }
  if (typing || document.querySelector("dialog[open]")) return;
  const mod = e.ctrlKey || e.metaKey;
  const key = e.key.toLowerCase();
  const current = selected();
  if (mod && key === "c" && current) {
    copyAppointment(current);
    e.preventDefault();
  } else if (mod && key === "v") {
    const source = state.clipboardId && state.appointments.get(state.clipboardId);
    if (!source) return toast("Nothing copied yet: select an appointment and press Ctrl+C.", "info");
    if (!state.pasteTarget) return toast("Click an empty time first: that is where the copy goes.", "info");
    duplicate(source, state.pasteTarget);
    e.preventDefault();
  } else if ((e.key === "Delete" || e.key === "Backspace") && current) {
    openCancel(current);
  } else if (!mod && key === "d") {
    calendar().setOption("view", "resourceTimeGridDay");
  } else if (!mod && key === "w") {
    calendar().setOption("view", "resourceTimeGridWeek");
  } else if (!mod && key === "t") {
    calendar().setOption("date", tz.clinicToday(state.zone));
  } else if (e.key === "ArrowLeft") {
    calendar().prev();
  } else if (e.key === "ArrowRight") {
    calendar().next();
  } else if (e.key === "/") {
    $("#patient-search").focus();
    e.preventDefault();
  }
}
