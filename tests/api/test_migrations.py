"""The schema comes only from Alembic; it must build from empty and match the ORM models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from api.migrate import downgrade, upgrade
from api.models import Base


def test_migrations_from_empty_match_the_models(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": False})
            diff = compare_metadata(ctx, Base.metadata)
        assert diff == [], f"models and migrations disagree: {diff}"
        assert {"appointments", "audit_log", "clinics", "users"} <= set(
            inspect(engine).get_table_names()
        )
    finally:
        engine.dispose()


def test_column_types_match_the_models(database_url: str) -> None:
    """Status enums are stored as the plain names the migrations created (VARCHAR, no CHECK):
    an ORM column type that drifts from the schema would need a migration nobody wrote."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(ctx, Base.metadata)
        assert diff == [], f"column types of models and migrations disagree: {diff}"
    finally:
        engine.dispose()


def test_downgrade_to_empty_and_back(database_url: str) -> None:
    downgrade(database_url, "base")
    engine = create_engine(database_url)
    try:
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()
    upgrade(database_url)
    engine = create_engine(database_url)
    try:
        assert "appointments" in inspect(engine).get_table_names()
    finally:
        engine.dispose()
