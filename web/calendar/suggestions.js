// @ts-check
// The suggestions event source: the engine's best-fit times for a type in the visible days,
// highlighted until cleared; clicking one opens the booking dialog for it.

import { explain, getJson } from "./api.js";
import { bands } from "./doctor_time.js";
import { el, select, toast } from "./dom.js";
import { columnField, refetch, state, typeName, whenIdle } from "./state.js";
import * as tz from "./tz.js";

export const suggestionSource = {
  /** @returns {Promise<EC.EventInput[]>} */
  events: async () => {
    await whenIdle();
    const field = columnField();
    return state.suggestions.flatMap((s, rank) =>
      s.parts.flatMap((p, i) => {
        const resourceId = p[field];
        if (!resourceId) return [];
        return [
          {
            id: `suggest-${rank}-${i}`,
            resourceIds: [resourceId],
            start: tz.toWall(p.startTime, state.zone),
            end: tz.toWall(p.endTime, state.zone),
            classNames: ["suggestion"],
            editable: false,
            extendedProps: {
              kind: /** @type {const} */ ("suggestion"),
              rank,
              part: i,
              label: `#${rank + 1} ${typeName(p.appointmentTypeId)} (score ${Math.round(s.score)})`,
            },
          },
        ];
      }),
    );
  },
};

/** The suggestion's label and, as on a booked block, where its provider would be needed. @param {EC.Event} ev @returns {EC.Content} */
export function suggestionContent(ev) {
  const props = ev.extendedProps;
  if (props.kind !== "suggestion") return { domNodes: [] };
  const part = state.suggestions[props.rank]?.parts[props.part];
  return { domNodes: [el("div", "suggestion-body", props.label), ...(part ? bands(part, false) : [])] };
}

/** Asks the engine for the top 5 times of the chosen type in the visible days. */
export async function suggest() {
  const typeId = select("#suggest-type").value;
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
    /** @type {Availability} */
    const data = await getJson(`/api/booking/availability?${params}`);
    state.suggestions = data.suggestions;
    refetch();
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

export function clearSuggestions() {
  if (!state.suggestions.length) return;
  state.suggestions = [];
  refetch();
}
