"""`dopys`: serve the API, migrate the database, load demo content, manage API keys."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from app.core import migrations
from app.core.config import get_settings
from app.core.db import create_db_engine, make_session_factory, unit_of_work
from app.demo.service import load_demo
from app.keys import service as keys
from app.models import KeyScope

cli = typer.Typer(help="Dopys, the newsroom content API.", no_args_is_help=True)
db_cli = typer.Typer(help="Database schema.", no_args_is_help=True)
demo_cli = typer.Typer(help="Demo content.", no_args_is_help=True)
keys_cli = typer.Typer(help="API keys for editors and scripts.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")
cli.add_typer(demo_cli, name="demo")
cli.add_typer(keys_cli, name="keys")
console = Console()


@contextmanager
def _unit_of_work() -> Iterator[Session]:
    """One transaction against the configured database; the engine is closed afterwards."""
    engine = create_db_engine(get_settings().database_url)
    try:
        with unit_of_work(make_session_factory(engine, write=True)) as session:
            yield session
    finally:
        engine.dispose()


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
    migrate: Annotated[bool, typer.Option(help="Apply migrations first.")] = True,
) -> None:
    """Serve the API with uvicorn (migrating the database first)."""
    import uvicorn

    settings = get_settings()
    if workers > 1 and not settings.redis_url:
        console.print(
            "[yellow]Rate limits are counted per worker; set REDIS_URL to share them.[/yellow]"
        )
    if migrate:
        migrations.upgrade(settings.database_url)
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        access_log=False,
    )


@db_cli.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Apply migrations up to REVISION."""
    migrations.upgrade(get_settings().database_url, revision)
    console.print(f"[green]Database at {revision}.[/green]")


@db_cli.command("downgrade")
def db_downgrade(revision: Annotated[str, typer.Argument()]) -> None:
    """Revert migrations down to REVISION (`base` empties the schema)."""
    migrations.downgrade(get_settings().database_url, revision)
    console.print(f"[yellow]Database at {revision}.[/yellow]")


@demo_cli.command("load")
def demo_load() -> None:
    """Load the seed page's article, sources, tag and fresh posts (idempotent)."""
    migrations.upgrade(get_settings().database_url)
    with _unit_of_work() as session:
        report = load_demo(session)
    console.print(
        f"Demo content: {report.created} articles created, {report.skipped} already there."
    )


@keys_cli.command("create")
def keys_create(
    name: Annotated[str, typer.Option(help="Who or what uses the key.")],
    scope: Annotated[KeyScope, typer.Option(help="read or write.")] = KeyScope.WRITE,
) -> None:
    """Create a key. The secret is shown once and never stored."""
    with _unit_of_work() as session:
        new = keys.create_key(session, name=name, scope=scope)
        key_id = new.key.id
    console.print(f"Key {key_id} ({scope}) for {name}. Store it now; it is not shown again:")
    typer.echo(new.secret)


@keys_cli.command("list")
def keys_list() -> None:
    """List keys (never their secrets)."""
    table = Table("id", "name", "scope", "prefix", "created", "revoked")
    with _unit_of_work() as session:
        for key in keys.list_keys(session):
            table.add_row(
                str(key.id),
                key.name,
                str(key.scope),
                key.prefix + "…",
                key.created_at.isoformat(timespec="seconds"),
                key.revoked_at.isoformat(timespec="seconds") if key.revoked_at else "",
            )
    console.print(table)


@keys_cli.command("revoke")
def keys_revoke(key_id: Annotated[int, typer.Argument(help="The key's id.")]) -> None:
    """Revoke a key; requests with it fail from now on."""
    with _unit_of_work() as session:
        keys.revoke_key(session, key_id)
    console.print(f"Key {key_id} revoked.")


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
