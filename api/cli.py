"""`slotwise` command line: serve, migrate, load the demo clinic, manage users and clients."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Sequence
from importlib.metadata import entry_points

from sqlalchemy import func, select

from api.auth.clients.cli import add_parser as add_clients_parser
from api.auth.passwords import hash_password
from api.auth.permissions import Role
from api.config import get_settings
from api.db import Database
from api.models import Clinic, User

# pyproject.toml's [project.entry-points."slotwise.commands"]; reinstall (make) after editing it.
COMMANDS_GROUP = "slotwise.commands"


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from api.core import logs, metrics_server

    settings = get_settings()
    # Before any worker starts: each one then keeps its metrics in files there that any
    # worker's (or the metrics port's) scrape sums (api/core/metrics.py).
    with metrics_server.multiprocess_dir(args.workers > 1):
        if settings.metrics_port is not None:
            metrics_server.start(settings.metrics_port)
        uvicorn.run(
            "api.main:app_factory",
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers,
            log_config=logs.log_config(settings.log_format),
            # The app writes one line per request itself (api/core/access_log.py).
            access_log=False,
            # uvicorn would believe X-Forwarded-For from 127.0.0.1 (or FORWARDED_ALLOW_IPS); the
            # app does it instead, only for SLOTWISE_TRUSTED_PROXIES (api/main.py).
            proxy_headers=False,
            # A worker imports the app and its engine (~15 s on a loaded two-core machine);
            # uvicorn's 5 s health check would kill it mid-start and respawn it forever.
            timeout_worker_healthcheck=60,
        )
    return 0


def _db_upgrade(args: argparse.Namespace) -> int:
    from api.migrate import upgrade

    upgrade(get_settings().database_url, args.revision)
    print(f"database at {args.revision}")
    return 0


def _demo(args: argparse.Namespace) -> int:
    from api.demo import load_demo

    db = Database(get_settings().database_url)
    try:
        with db.write() as session:
            report = load_demo(session)
            session.commit()
    finally:
        db.dispose()
    print(report)
    return 0


def _read_password(prompted: bool) -> str:
    if not prompted:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Repeat password: "):
        raise SystemExit("error: the passwords do not match")
    return first


def _clinics_create(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from api.clinics.schemas import ClinicCreate
    from api.clinics.service import create_clinic
    from api.errors import DomainError

    password = _read_password(prompted=sys.stdin.isatty())
    try:
        data = ClinicCreate.model_validate(
            {
                "name": args.name,
                "timeZone": args.time_zone,
                "websiteOrigins": args.website_origin,
                "firstAdmin": {
                    "email": args.admin_email,
                    "password": password,
                    "fullName": args.admin_name,
                },
            }
        )
    except ValidationError as exc:
        for error in exc.errors():
            field = ".".join(str(part) for part in error["loc"])
            print(f"error: {field}: {error['msg']}", file=sys.stderr)
        return 2
    db = Database(get_settings().database_url)
    try:
        with db.write() as session:
            try:
                clinic = create_clinic(session, data)
            except DomainError as exc:
                print(f"error: {exc.detail}", file=sys.stderr)
                return 1
            session.commit()
            print(
                f"opened {clinic.name} ({clinic.time_zone}, id {clinic.id}); its first admin "
                f"{data.first_admin.email.lower()} signs in to configure it"
            )
    finally:
        db.dispose()
    return 0


def _users_create(args: argparse.Namespace) -> int:
    password = _read_password(prompted=sys.stdin.isatty())
    if len(password) < 10:
        print("error: the password must have at least 10 characters", file=sys.stderr)
        return 2
    db = Database(get_settings().database_url)
    try:
        with db.write() as session:
            clinics = list(session.scalars(select(Clinic)))
            if args.clinic_id:
                clinic = next((c for c in clinics if c.id == args.clinic_id), None)
            elif len(clinics) == 1:
                clinic = clinics[0]
            else:
                clinic = None
            if clinic is None:
                names = ", ".join(f"{c.id} ({c.name})" for c in clinics) or "none yet"
                print(f"error: name the clinic with --clinic-id; clinics: {names}", file=sys.stderr)
                return 2
            email = args.email.lower()
            same = select(User.id).where(User.clinic_id == clinic.id)
            if session.scalar(same.where(func.lower(User.email) == email)):
                print(f"error: {clinic.name} already has a user {email}", file=sys.stderr)
                return 1
            if args.role == Role.PATIENT and not args.patient_id:
                print("error: a patient user needs --patient-id", file=sys.stderr)
                return 2
            user = User(
                clinic_id=clinic.id,
                email=email,
                password_hash=hash_password(password),
                role=args.role,
                full_name=args.full_name,
                provider_id=args.provider_id,
                patient_id=args.patient_id,
                platform_operator=args.platform_operator,
            )
            session.add(user)
            session.commit()
            operator = ", platform operator" if args.platform_operator else ""
            print(f"created {args.role}{operator} {email} in {clinic.name} (id {user.id})")
    finally:
        db.dispose()
    return 0


def _audit_verify(args: argparse.Namespace) -> int:
    from api.audit.chain import verify_command

    return verify_command(get_settings().database_url, args.clinic_id, args.anchor)


def _patients_invite(args: argparse.Namespace) -> int:
    from api.portal.cli import invite_command

    url = get_settings().database_url
    return invite_command(url, args.patient_id, args.email, args.valid_hours)


def _outbox_send(_args: argparse.Namespace) -> int:
    from api.notifications.cli import send_command

    return send_command()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="slotwise", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the HTTP API with uvicorn")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(func=_serve)

    db = sub.add_parser("db", help="database schema")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    up = db_sub.add_parser("upgrade", help="apply Alembic migrations")
    up.add_argument("--revision", default="head")
    up.set_defaults(func=_db_upgrade)

    demo = sub.add_parser("demo", help="load the demo clinic (idempotent)")
    demo.set_defaults(func=_demo)

    audit = sub.add_parser("audit", help="the append-only audit trail")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True)
    verify = audit_sub.add_parser("verify", help="recompute the hash chains; exit 1 if altered")
    verify.add_argument("--clinic-id")
    verify.add_argument(
        "--anchor",
        action="append",
        default=[],
        metavar="HEAD",
        help="a head hash printed by an earlier run and kept elsewhere; fails if no chain "
        "still reaches it (rows cut off the end). Repeat for several clinics.",
    )
    verify.set_defaults(func=_audit_verify)

    users = sub.add_parser("users", help="manage user accounts")
    users_sub = users.add_subparsers(dest="users_command", required=True)
    create = users_sub.add_parser(
        "create", help="create a user; the password is read from stdin or prompted for"
    )
    create.add_argument("--email", required=True)
    create.add_argument("--role", required=True, choices=[r.value for r in Role])
    create.add_argument("--clinic-id")
    create.add_argument("--full-name", default="")
    create.add_argument("--provider-id")
    create.add_argument("--patient-id")
    create.add_argument(
        "--platform-operator",
        action="store_true",
        help="may also open new clinics (POST /api/clinics), which no clinic role may",
    )
    create.set_defaults(func=_users_create)

    clinics = sub.add_parser("clinics", help="clinics on this server")
    clinics_sub = clinics.add_subparsers(dest="clinics_command", required=True)
    open_clinic = clinics_sub.add_parser(
        "create",
        help="open a clinic with its first admin; the admin's password is read from stdin "
        "or prompted for",
    )
    open_clinic.add_argument("--name", required=True)
    open_clinic.add_argument("--time-zone", required=True, help="IANA name, e.g. Europe/London")
    open_clinic.add_argument("--admin-email", required=True)
    open_clinic.add_argument("--admin-name", default="")
    open_clinic.add_argument(
        "--website-origin",
        action="append",
        default=[],
        help="a site that embeds the booking widget (scheme://host[:port]); repeatable",
    )
    open_clinic.set_defaults(func=_clinics_create)

    patients = sub.add_parser("patients", help="patient portal accounts")
    patients_sub = patients.add_subparsers(dest="patients_command", required=True)
    invite = patients_sub.add_parser(
        "invite", help="invite a patient to the portal; prints the single-use invitation token"
    )
    invite.add_argument("--patient-id", required=True)
    invite.add_argument("--email", help="defaults to the patient's email on file")
    invite.add_argument("--valid-hours", type=int, default=72)
    invite.set_defaults(func=_patients_invite)

    outbox = sub.add_parser("outbox", help="mail waiting to be sent (docs/notifications.md)")
    outbox_sub = outbox.add_subparsers(dest="outbox_command", required=True)
    send = outbox_sub.add_parser(
        "send", help="send every unsent mail now, including failed ones; exit 1 if any fail"
    )
    send.set_defaults(func=_outbox_send)

    add_clients_parser(sub)

    add_registered_commands(sub)
    return parser


def add_registered_commands(sub: argparse._SubParsersAction) -> None:
    """Commands other packages contribute (the planner's `plan`, from benchmarks/): each
    `slotwise.commands` entry point is a function that adds its subparser. Found through the
    installed metadata, so the service never imports the package that provides them."""
    for command in sorted(entry_points(group=COMMANDS_GROUP), key=lambda e: e.name):
        command.load()(sub)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
