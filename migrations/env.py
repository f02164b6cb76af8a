"""Alembic environment: the URL comes from the app's settings unless the caller passes one."""

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import Connection

from app.core.config import get_settings
from app.core.db import create_db_engine
from app.models import Base
from app.models.base import UTCDateTime

config = context.config
target_metadata = Base.metadata

# Objects that migrations own but the models do not describe (full-text search tables).
UNMODELLED_PREFIXES = ("article_search",)


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    return not (reflected and name is not None and name.startswith(UNMODELLED_PREFIXES))


def render_item(type_: str, obj: object, autogen_context: AutogenContext) -> str | bool:
    # Migrations must not import app code that may change later: render our UTC type as
    # the plain column type it stores.
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_with(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite can only ALTER through table copies
        include_object=include_object,
        compare_type=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        run_with(connection)
        return
    url = config.attributes.get("url") or get_settings().database_url
    engine = create_db_engine(url)
    try:
        with engine.connect() as conn:
            run_with(conn)
    finally:  # an unknown revision raises in there
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run against a database")
run_migrations_online()
