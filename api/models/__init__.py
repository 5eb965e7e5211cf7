"""Every ORM model, imported here so `Base.metadata` is complete for Alembic."""

from api.models.appointment import (
    Appointment,
    AppointmentSource,
    AppointmentStatus,
    appointment_procedures,
)
from api.models.appointment_type import (
    AppointmentType,
    appointment_type_assistants,
    appointment_type_providers,
)
from api.models.audit import AuditEntry, IdempotencyRecord
from api.models.base import Base
from api.models.client import MachineClient
from api.models.clinic import Clinic
from api.models.email_confirmation import EmailConfirmation
from api.models.held_interval import HeldInterval, ResourceKind
from api.models.notification import OutboxMail
from api.models.patient import (
    Patient,
    PlannedProcedure,
    PlanStatus,
    ProcedureStatus,
    TreatmentPlan,
)
from api.models.portal import PatientInvitation, PortalSettings, SlotHold
from api.models.resources import Assistant, Chair, Provider, Room
from api.models.schedule import ScheduleException, ScheduleTemplate, TemplateSlot, WorkingHours
from api.models.user import User
from api.models.waitlist import (
    OfferStatus,
    RecipientStatus,
    WaitlistEntry,
    WaitlistOffer,
    WaitlistOfferRecipient,
    WaitlistSource,
    WaitlistStatus,
)

__all__ = [
    "Appointment",
    "AppointmentSource",
    "AppointmentStatus",
    "AppointmentType",
    "Assistant",
    "AuditEntry",
    "Base",
    "Chair",
    "Clinic",
    "EmailConfirmation",
    "HeldInterval",
    "IdempotencyRecord",
    "MachineClient",
    "OfferStatus",
    "OutboxMail",
    "Patient",
    "PatientInvitation",
    "PlanStatus",
    "PlannedProcedure",
    "PortalSettings",
    "ProcedureStatus",
    "Provider",
    "RecipientStatus",
    "ResourceKind",
    "Room",
    "ScheduleException",
    "ScheduleTemplate",
    "SlotHold",
    "TemplateSlot",
    "TreatmentPlan",
    "User",
    "WaitlistEntry",
    "WaitlistOffer",
    "WaitlistOfferRecipient",
    "WaitlistSource",
    "WaitlistStatus",
    "WorkingHours",
    "appointment_procedures",
    "appointment_type_assistants",
    "appointment_type_providers",
]

# Registers the unit-of-work hook that bumps a clinic's config_version (see that module).
from api.models import config_version as _config_version  # noqa: F401
