// Types for `tsc --noEmit` (make check-js) only; never served, so the widget a patient's phone
// loads carries none of them. The portal API's answers as the widget reads them (the fields it
// uses, camelCase as on the wire; docs/portal.md has the whole shapes), and the widget's state.

interface TypeOption {
  id: string;
  name: string;
  color: string;
  duration: number;
  newPatientBookable: boolean;
}

interface PortalClinic {
  id: string;
  name: string;
  timeZone: string;
  appointmentTypes: TypeOption[];
}

interface Slot {
  startTime: string;
  localTime: string;
  providerId: string;
  chairId: string | null;
  roomId: string | null;
  providerName?: string | null;
}

interface Availability {
  days: { date: string; slots: Slot[] }[];
}

interface Hold {
  expiresAt: string;
}

interface Fee {
  amount: string;
  currency: string;
}

interface OwnAppointment {
  id: string;
  appointmentTypeName: string;
  localStart: string;
  timeZone: string;
  canCancel: boolean;
  lateCancelFee: Fee | null;
}

interface Confirmation {
  id: string;
  appointmentTypeName: string;
  localStart: string;
  timeZone: string;
  needsConfirmation: boolean;
  ics: string;
}

interface Details {
  firstName: string;
  lastName: string;
  dateOfBirth: string;
  email: string;
  phone: string;
}

interface WaitlistSpot {
  id: string;
  replacesAppointmentId: string | null;
  status: string;
}

interface SlotConflict {
  message: string;
  alternatives: Slot[];
}

interface Problem {
  detail?: string;
  type?: string;
  alternatives?: Slot[];
}

type AfterSignIn = "days" | "manage" | "confirm";

interface WidgetState {
  clinic: PortalClinic | null;
  type: TypeOption | null;
  availability: Availability | null;
  day: string | null;
  slot: Slot | null;
  hold: Hold | null;
  patientToken: string | null;
  guestToken: string | null;
  details: Details | null;
  notes: string;
  conflict: SlotConflict | null;
  confirmation: Confirmation | null;
  bookingKey: string | null;
}

type Child = Node | string | number | null | undefined | false;
