// Types for `tsc --noEmit` (make check-js) only; never served. They describe the JSON the page
// reads from the API (the fields it uses, camelCase as on the wire) and the small part of
// EventCalendar's standalone bundle it calls (the bundle ships no types of its own).

type ResourceKind = "provider" | "chair" | "room" | "assistant";
type ResourceField = "providerId" | "chairId" | "roomId" | "assistantId";

interface Page<T> {
  items: T[];
  total: number;
}

interface Me {
  role: string;
  permissions: string[];
  providerId: string | null;
}

interface ClinicRead {
  id: string;
  name: string;
  timeZone: string;
  slotGranularityMinutes: number;
  lateCancelFeeAmount: string;
  lateCancelFeeCurrency: string;
  lateCancelWindowHours: number;
}

interface AppointmentType {
  id: string;
  name: string;
  code: string;
  color: string | null;
  active: boolean;
  roomKind: string | null;
  minDuration: number;
  maxDuration: number;
  defaultDuration: number;
}

interface Resource {
  id: string;
  name: string;
  active: boolean;
  /** providers only */
  color?: string | null;
}

interface Patient {
  id: string;
  firstName: string;
  lastName: string;
  dateOfBirth: string;
}

/** Where and when one part of a booking sits: an appointment, a suggestion part or a draft. */
interface Placement {
  appointmentTypeId: string;
  providerId: string | null;
  chairId: string | null;
  roomId: string | null;
  /** the assistant held (null when the type needs none); absent from servers before assistants */
  assistantId?: string | null;
  startTime: string;
  endTime: string;
}

interface Appointment extends Placement {
  id: string;
  patientId: string;
  status: string;
  version: number;
  duration: number;
  deletedAt: string | null;
  /** booked over a conflict by someone allowed to */
  conflictOverride: boolean;
  /** the minutes the provider is held (doctor time), from the server; empty when not held */
  providerTime: TimeSpan[];
}

interface SuggestionPart extends Placement {
  duration: number;
  /** the minutes the provider would be held, from the server */
  providerTime: TimeSpan[];
  templateSlotId: string | null;
  procedureIds?: string[];
}

interface Suggestion {
  startTime: string;
  score: number;
  parts: SuggestionPart[];
}

interface Availability {
  suggestions: Suggestion[];
  treatmentPlanId?: string | null;
  procedureIds?: string[];
}

/** docs/waitlist.md: a waiting patient, as the matches endpoint lists them. */
interface WaitlistEntry {
  id: string;
  patientId: string;
  patient?: { id: string; name: string };
  appointmentTypeId: string;
  status: string;
  priority: number;
  notes: string | null;
  replacesAppointmentId: string | null;
  replacesStartTime: string | null;
}

interface ScoreTerm {
  rule: string;
  points: number;
  reason: string;
}

interface WaitlistMatch {
  entry: WaitlistEntry;
  slot: { startTime: string; endTime: string; parts: SuggestionPart[] };
  score: number;
  terms: ScoreTerm[];
}

interface WaitlistMatches {
  total: number;
  complete: boolean;
  matches: WaitlistMatch[];
}

interface WaitlistOffer {
  id: string;
  status: string;
  expiresAt: string;
  recipients: { id: string; entryId: string; patientId: string; status: string }[];
}

interface CancellationFee {
  amount: string;
  currency: string;
}

interface CancelledAppointment extends Appointment {
  cancellationFee: CancellationFee | null;
}

interface Procedure {
  name: string;
  status: string;
  appointmentTypeId: string;
}

interface TreatmentPlan {
  name: string;
  status: string;
  procedures: Procedure[];
}

// GET /api/schedule/hours
interface TimeSpan {
  startTime: string;
  endTime: string;
}

interface ScheduleBreak extends TimeSpan {
  label: string;
}

interface ScheduleDay {
  date: string;
  hours: TimeSpan[];
  breaks: ScheduleBreak[];
  exception: { reason: string | null } | null;
}

interface ResourceRef {
  resourceType: ResourceKind;
  resourceId: string;
}

interface ResourceSchedule extends ResourceRef {
  days: ScheduleDay[];
}

interface TemplateSlotOnDate extends TimeSpan {
  templateSlotId: string;
  name: string;
  appointmentTypeIds: string[];
  appliesTo: ResourceRef[];
}

interface ScheduleHours {
  timeZone: string;
  resources: ResourceSchedule[];
  templateSlots: TemplateSlotOnDate[];
}

// The live channel's probe answer.
interface ProbeConflict {
  code: string;
  message: string;
}

interface ProbeReply {
  ok: boolean;
  conflicts: ProbeConflict[];
  error?: string;
  message?: string;
}

// ------------------------------------------------------------------ EventCalendar (the bundle)

declare namespace EC {
  /** What the page knows about each event it hands the calendar. */
  type Props =
    | { kind: "appointment" }
    | { kind: "pending"; label: string }
    | { kind: "suggestion"; rank: number; part: number; label: string }
    | { kind: "background"; label: string }
    | { kind: "bar"; label: string }
    | { kind: "overlap"; label: string }
    | { kind: "waitlist"; gapId: string; label: string };

  /** An event as the page gives it to the calendar (floating wall-clock strings). */
  interface EventInput {
    id?: string;
    resourceIds: string[];
    start: string;
    end: string;
    display?: "auto" | "background";
    backgroundColor?: string;
    classNames?: string[];
    editable?: boolean;
    startEditable?: boolean;
    durationEditable?: boolean;
    extendedProps: Props;
  }

  /** An event as the calendar hands it back: Dates carry the wall clock in their UTC fields. */
  interface Event {
    id: string;
    resourceIds: string[];
    start: Date;
    end: Date;
    extendedProps: Props;
  }

  interface Resource {
    id: string;
    title?: string;
  }

  interface ResourceLabelInfo {
    resource: Resource;
    date?: Date;
  }

  interface Content {
    domNodes: Node[];
  }

  interface FetchInfo {
    start: Date;
    end: Date;
  }

  interface EventSource {
    events: (info: FetchInfo) => Promise<EventInput[]> | EventInput[];
  }

  interface DropInfo {
    event: Event;
    oldResource?: Resource;
    newResource?: Resource;
    revert: () => void;
  }

  interface DragInfo {
    event: Event;
    newResource?: Resource;
  }

  interface DatesInfo {
    start: Date;
    end: Date;
  }

  interface ClickInfo {
    event: Event;
    jsEvent: MouseEvent;
  }

  interface DateClickInfo {
    date: Date;
    resource?: Resource;
  }

  interface SelectInfo {
    start: Date;
    end: Date;
    resource?: Resource;
  }

  interface Calendar {
    setOption(name: string, value: unknown): Calendar;
    getOption(name: string): unknown;
    refetchEvents(): Calendar;
    unselect(): Calendar;
    prev(): Calendar;
    next(): Calendar;
  }
}

declare const EventCalendar: {
  create(el: HTMLElement, options: Record<string, unknown>): EC.Calendar;
  destroy(calendar: EC.Calendar): void;
};

interface Window {
  slotwiseCalendar?: EC.Calendar;
}
