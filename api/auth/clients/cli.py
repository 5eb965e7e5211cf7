"""`slotwise clients create | list | revoke`: machine clients from the server's shell.

For the first client of a clinic, or when no admin can sign in; the same rules as /api/clients
(api/auth/clients/service.py). The secret is printed once and kept nowhere but its hash.
"""

from __future__ import annotations

import argparse
import sys

from pydantic import ValidationError
from sqlalchemy import select

from api.auth.clients import service
from api.auth.clients.schemas import ClientCreate
from api.config import get_settings
from api.db import Database
from api.models import Clinic, MachineClient

CLI_ACTOR = "cli"


def _create(args: argparse.Namespace) -> int:
    try:
        data = ClientCreate.model_validate({"name": args.name, "scopes": args.scope})
    except ValidationError as exc:
        for error in exc.errors():
            field = ".".join(str(part) for part in error["loc"])
            print(f"error: {field}: {error['msg']}", file=sys.stderr)
        return 2
    db = Database(get_settings().database_url)
    try:
        with db.write() as session:
            clinic = session.get(Clinic, args.clinic_id)
            if clinic is None:
                clinics = ", ".join(f"{c.id} ({c.name})" for c in session.scalars(select(Clinic)))
                print(
                    f"error: no clinic with id '{args.clinic_id}'; clinics: {clinics or 'none'}",
                    file=sys.stderr,
                )
                return 2
            client, secret = service.create_client(session, clinic.id, data, created_by=CLI_ACTOR)
            session.commit()
            print(f"created machine client '{client.name}' for {clinic.name}")
            print(f"client_id:     {client.id}")
            print(f"client_secret: {secret}")
            print(f"scopes:        {' '.join(client.scopes)}")
            print("The secret is shown only now; store it in the partner system's settings.")
    finally:
        db.dispose()
    return 0


def _list(args: argparse.Namespace) -> int:
    db = Database(get_settings().database_url)
    try:
        with db.read() as session:
            query = select(MachineClient).order_by(MachineClient.clinic_id, MachineClient.name)
            if args.clinic_id:
                query = query.where(MachineClient.clinic_id == args.clinic_id)
            for client in session.scalars(query):
                state = "active" if client.active else "revoked"
                used = client.last_used_at.isoformat() if client.last_used_at else "never"
                print(
                    f"{client.id}  {state:7}  clinic {client.clinic_id}  '{client.name}'  "
                    f"{' '.join(client.scopes)}  last token {used}"
                )
    finally:
        db.dispose()
    return 0


def _revoke(args: argparse.Namespace) -> int:
    db = Database(get_settings().database_url)
    try:
        with db.write() as session:
            client = session.get(MachineClient, args.client_id)
            if client is None:
                print(f"error: no machine client with id '{args.client_id}'", file=sys.stderr)
                return 1
            service.revoke_client(session, client, actor_id=CLI_ACTOR)
            session.commit()
            print(f"revoked machine client '{client.name}' ({client.id}); its tokens stop now")
    finally:
        db.dispose()
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:
    clients = sub.add_parser("clients", help="machine clients of /fhir (OAuth2 client credentials)")
    clients_sub = clients.add_subparsers(dest="clients_command", required=True)
    create = clients_sub.add_parser(
        "create", help="create a client; prints its id and its secret, once"
    )
    create.add_argument("--clinic-id", "--clinic", dest="clinic_id", required=True)
    create.add_argument("--name", required=True, help="whose system it is")
    create.add_argument(
        "--scope",
        action="append",
        required=True,
        help="a SMART system scope such as system/Slot.read or system/Appointment.write; "
        "repeatable",
    )
    create.set_defaults(func=_create)
    listing = clients_sub.add_parser("list", help="every client, or one clinic's")
    listing.add_argument("--clinic-id", "--clinic", dest="clinic_id")
    listing.set_defaults(func=_list)
    revoke = clients_sub.add_parser("revoke", help="revoke a client for good")
    revoke.add_argument("client_id")
    revoke.set_defaults(func=_revoke)
