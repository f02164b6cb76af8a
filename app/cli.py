"""`dopys`: serve the API, migrate the database, load demo content, manage API keys,
import and export articles, rebuild the search index."""

import functools
import re
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.filesize import decimal
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from sqlalchemy import inspect, make_url, text
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    NoSuchModuleError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.orm import Session, sessionmaker

from app.articles import fragments
from app.articles.repository import next_change_seq
from app.core import changes, migrations
from app.core.config import default_database_url, get_settings
from app.core.db import create_db_engine, is_sqlite, make_session_factory, unit_of_work
from app.core.errors import AppError
from app.core.memory import limit_malloc_arenas
from app.core.serving import server_options
from app.demo.service import load_demo
from app.imports.conversion import ImportStopped, NoItems
from app.imports.formats import Format
from app.imports.formats.common import ConversionFailed, Options
from app.imports.schemas import ImportReport, ItemNote
from app.imports.service import BATCH_SIZE
from app.keys import service as keys
from app.models import KeyScope
from app.search import indexing

if TYPE_CHECKING:  # with its HTTP client, imported by the commands that move files: the
    # workers `serve` spawns import this module again and never need it
    from app.imports import transfer

console = Console()
progress_console = Console(stderr=True)

ExitOnFailedLines = 1
ExitCouldNotRun = 2
ExitInterrupted = 130  # as a shell reports SIGINT
SHOWN_ERRORS = 50
SHOWN_ITEMS = 5

P = ParamSpec("P")
R = TypeVar("R")


def masked(url: str) -> str:
    """The URL with its password hidden, even when SQLAlchemy cannot parse it."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return re.sub(r"(^|://)([^:/@\s]*):[^@\s]*@", r"\1\2:***@", url)


def database_problem(url: str, exc: Exception) -> str:
    """One line: what went wrong with which database, and what to check."""
    shown = masked(url)
    if isinstance(exc, NoSuchModuleError | ModuleNotFoundError):
        return (
            f"No database driver for {shown}. Check the scheme of DATABASE_URL: "
            "sqlite:/// or postgresql+psycopg://."
        )
    if isinstance(exc, ArgumentError | ValueError) and not isinstance(exc, DBAPIError):
        return (
            f"DATABASE_URL is not a database URL: {shown!r}. Check its form, e.g. "
            "sqlite:///dopys.sqlite3 or postgresql+psycopg://user:password@host/dbname."
        )
    reason = " ".join(str(getattr(exc, "orig", None) or exc).split())
    if isinstance(exc, DBAPIError) and not isinstance(exc, OperationalError):
        # Connected, and the database refused a statement: not a connection problem.
        return f"The database {shown} refused a statement: {reason}"
    if is_sqlite(url):
        return (
            f"Cannot open the SQLite database {shown} ({reason}). Check that its directory "
            "exists and is writable, and that the path in DATABASE_URL is right."
        )
    return (
        f"Cannot connect to the database {shown} ({reason}). Check that the server is running "
        "and reachable from here, and the host, port, database name, user and password in "
        "DATABASE_URL."
    )


def _database_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Any command that meets an unusable database says so in one line and exits 2."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except (ArgumentError, NoSuchModuleError, DBAPIError, ModuleNotFoundError) as exc:
            url = get_settings().database_url
            typer.echo(f"dopys: {database_problem(url, exc)}", err=True)
            raise typer.Exit(ExitCouldNotRun) from None
        except (NoDatabase, migrations.MigrationRefused) as exc:
            typer.echo(f"dopys: {exc}", err=True)
            raise typer.Exit(ExitCouldNotRun) from None
        except AppError as exc:  # what the API would answer with a 4xx: a line, exit 1
            typer.echo(f"dopys: {exc}", err=True)
            raise typer.Exit(1) from None

    return run


cli = typer.Typer(help="Dopys, the newsroom content API.", no_args_is_help=True)
db_cli = typer.Typer(help="Database schema.", no_args_is_help=True)
demo_cli = typer.Typer(help="Demo content.", no_args_is_help=True)
keys_cli = typer.Typer(help="API keys for editors and scripts.", no_args_is_help=True)
search_cli = typer.Typer(help="The search index.", no_args_is_help=True)
webhooks_cli = typer.Typer(help="Webhook subscriptions and their worker.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")
cli.add_typer(demo_cli, name="demo")
cli.add_typer(keys_cli, name="keys")
cli.add_typer(search_cli, name="search")
cli.add_typer(webhooks_cli, name="webhooks")


def check_database(url: str) -> None:
    """Connect once, so that `serve --no-migrate` fails here, in one line, not in a worker."""
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    finally:
        engine.dispose()


class NoDatabase(Exception):
    """A command that works on an existing database found none where DATABASE_URL points."""


def _database(*, create: bool = False) -> str:
    """The configured database's URL, after saying which it is on stderr. Unless the
    command creates databases (`serve`, `db upgrade`, `demo load`), one that does not exist
    is refused here: opening a SQLite path would create an empty file, and a command run
    with the wrong DATABASE_URL would silently work on a database no server reads."""
    url = get_settings().database_url
    path = _sqlite_path(url)
    if not create:
        _require_schema(url, path)
    else:  # (a connection makes a SQLite file; for the default one, its directory first)
        if path is not None and url == default_database_url():
            path.parent.mkdir(parents=True, exist_ok=True)
        check_database(url)
    typer.echo(f"Database: {_shown(url, path)}", err=True)
    return url


def _sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL, absolute (None: not SQLite, or in memory)."""
    if not is_sqlite(url):
        return None
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database).resolve()


def _shown(url: str, path: Path | None) -> str:
    """The URL with its password hidden, a SQLite file's path made absolute."""
    return f"sqlite:///{path}" if path is not None else masked(url)


def _require_schema(url: str, path: Path | None) -> None:
    if path is not None and not path.exists():
        raise NoDatabase(_no_database(url, path, "no such file"))
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            migrated = inspect(connection).has_table("alembic_version")
    finally:
        engine.dispose()
    if not migrated:
        raise NoDatabase(_no_database(url, path, "it holds no Dopys schema"))


def _no_database(url: str, path: Path | None, why: str) -> str:
    hint = ""
    legacy = Path("dopys.sqlite3").resolve()
    if url == default_database_url() and legacy.exists() and legacy != path:
        hint = f" (the former default, {legacy}, is here: DATABASE_URL=sqlite:///{legacy})"
    return (
        f"No Dopys database at {_shown(url, path)} ({why}). Set DATABASE_URL to the database "
        f"your server uses{hint}, or create this one with `dopys db upgrade`."
    )


def _waiting() -> None:
    typer.echo("Another process is migrating the database; waiting for it.", err=True)


@contextmanager
def _unit_of_work() -> Iterator[Session]:
    """One transaction against the configured database; the engine is closed afterwards."""
    with _write_sessions() as sessions, unit_of_work(sessions) as session:
        yield session


@contextmanager
def _write_sessions() -> Iterator[sessionmaker[Session]]:
    """Write sessions on the configured database (a transaction each, for imports that
    commit batch by batch); the engine is closed afterwards."""
    settings = get_settings()
    engine = create_db_engine(settings.database_url)
    try:
        yield make_session_factory(engine, write=True, info=fragments.session_info(settings))
    finally:
        engine.dispose()


@cli.command()
def serve(
    host: Annotated[str, typer.Option(envvar="HOST", help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(envvar="PORT", min=1, max=65535, help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(envvar="WORKERS", min=1, help="Worker processes.")] = 1,
    migrate: Annotated[bool, typer.Option(help="Apply migrations first.")] = True,
    demo: Annotated[
        bool, typer.Option(envvar="DOPYS_DEMO", help="Load the demo content first (idempotent).")
    ] = False,
) -> None:
    """Serve the API with uvicorn (migrating the database first, and creating it if it
    does not exist). Articles that lack a stored rendering are rendered in the background
    once the server listens (until then, and meanwhile, requests render what they need)."""
    import uvicorn

    settings = get_settings()
    url = _database(create=migrate)
    if workers > 1 and not settings.redis_url:
        console.print(
            "[yellow]Rate limits are counted per worker; set REDIS_URL to share them.[/yellow]"
        )
    if migrate:
        migrations.upgrade(url, on_wait=_waiting)
    if demo:
        _load_demo()
    check_database(url)
    if migrate:
        threading.Thread(target=_render_stale_in_background, daemon=True).start()
    limit_malloc_arenas()
    options = server_options(settings, host, port, workers)
    uvicorn.run("app.main:create_app", factory=True, **options)


@db_cli.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Apply migrations up to REVISION (at head, then store any missing renderings),
    creating the database if it does not exist. Any number may run at once: one migrates,
    the others wait for it."""
    migrations.upgrade(_database(create=True), revision, on_wait=_waiting)
    if revision == "head":
        _render_stale()
    console.print(f"[green]Database at {revision}.[/green]")


def _render_stale() -> None:
    """Renders the articles that have no current stored rendering (app.articles.fragments):
    all of them after the migration that made the table, or after a change of the settings
    that shape the JSON. Batch by batch, so that a running server's writes wait little."""
    done = 0
    with _write_sessions() as sessions:
        while True:
            with unit_of_work(sessions) as session:
                count = fragments.refresh_stale(session, fragments.renderer_of(session))
            if count == 0:
                break
            done += count
            console.print(f"Rendered {done} articles.", end="\r")
    if done:
        console.print(f"Rendered {done} articles for the public endpoints.")


def _render_stale_in_background() -> None:
    """`serve`'s rendering, beside the server: a failure costs only speed (requests render
    what has no stored rendering), so it is logged, not raised."""
    try:
        _render_stale()
    except Exception as exc:
        progress_console.print(f"[yellow]Rendering stopped:[/yellow] {exc}")


@db_cli.command("downgrade")
def db_downgrade(revision: Annotated[str, typer.Argument()]) -> None:
    """Revert migrations down to REVISION (`base` empties the schema)."""
    migrations.downgrade(_database(), revision, on_wait=_waiting)
    console.print(f"[yellow]Database at {revision}.[/yellow]")


@demo_cli.command("load")
def demo_load() -> None:
    """Load the seed page's article, sources, tag and fresh posts (idempotent), into a new
    database if there is none."""
    migrations.upgrade(_database(create=True), on_wait=_waiting)
    _load_demo()


def _load_demo() -> None:
    with _unit_of_work() as session:
        migrations.serialize(session.connection())  # replicas loading it at once
        report = load_demo(session)
    console.print(
        f"Demo content: {report.created} articles created, {report.skipped} already there."
    )


@keys_cli.command("create")
def keys_create(
    name: Annotated[str, typer.Option(help="Who or what uses the key.")],
    scope: Annotated[
        KeyScope, typer.Option(help="read, write or admin (webhooks too).")
    ] = KeyScope.WRITE,
) -> None:
    """Create a key. The secret is shown once and never stored."""
    if not name.strip():
        raise typer.BadParameter("say who or what uses the key.", param_hint="--name")
    _database()
    with _unit_of_work() as session:
        new = keys.create_key(session, name=name, scope=scope)
        key_id = new.key.id
    console.print(f"Key {key_id} ({scope}) for {name}. Store it now; it is not shown again:")
    typer.echo(new.secret)


@keys_cli.command("list")
def keys_list() -> None:
    """List keys (never their secrets)."""
    table = Table("id", "name", "scope", "prefix", "created", "revoked")
    _database()
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
    _database()
    with _unit_of_work() as session:
        keys.revoke_key(session, key_id)
    console.print(f"Key {key_id} revoked.")


@webhooks_cli.command("add")
def webhooks_add(
    url: Annotated[str, typer.Argument(help="Where to POST events (http or https).")],
    event: Annotated[
        list[str] | None, typer.Option(help="An event type to send (repeat); default: all.")
    ] = None,
    language: Annotated[list[str] | None, typer.Option(help="Only articles in it.")] = None,
    tag: Annotated[list[str] | None, typer.Option(help="Only articles with it.")] = None,
    section: Annotated[list[str] | None, typer.Option(help="Only articles in it.")] = None,
    author: Annotated[list[str] | None, typer.Option(help="Only articles by them.")] = None,
    description: Annotated[str, typer.Option(help="What it is for.")] = "",
) -> None:
    """Subscribe a URL. The signing secret is shown once."""
    from pydantic import ValidationError

    from app.core.errors import AppError
    from app.webhooks import service as webhooks
    from app.webhooks.schemas import WebhookCreate

    settings = get_settings()
    migrations.upgrade(_database())
    try:
        data = WebhookCreate.model_validate(
            {
                "url": url,
                "events": event or [],
                "description": description,
                "filters": {
                    "languages": language or [],
                    "tags": tag or [],
                    "sections": section or [],
                    "authors": author or [],
                },
            }
        )
        with _unit_of_work() as session:
            created = webhooks.create(session, settings, data)
    except ValidationError as exc:
        raise typer.BadParameter(str(exc)) from exc
    except AppError as exc:
        messages = "; ".join(e.message for e in exc.errors or []) or str(exc)
        raise typer.BadParameter(messages) from exc
    console.print(f"Webhook {created.id} -> {created.url}. Its signing secret (shown once):")
    typer.echo(created.secret)


@webhooks_cli.command("list")
def webhooks_list() -> None:
    """List subscriptions (never their secrets)."""
    from app.webhooks import repository as webhooks_repo
    from app.webhooks import service as webhooks

    table = Table("id", "url", "events", "filters", "status", "created")
    _database()
    with _unit_of_work() as session:
        for subscription in webhooks_repo.all_subscriptions(session):
            read = webhooks.read(subscription)
            filters = read.filters.model_dump(exclude_defaults=True)
            table.add_row(
                str(read.id),
                read.url,
                ", ".join(read.events),
                ", ".join(f"{k}={','.join(v)}" for k, v in filters.items()),
                str(read.status),
                read.created_at.isoformat(timespec="seconds"),
            )
    console.print(table)


@webhooks_cli.command("remove")
def webhooks_remove(webhook_id: Annotated[int, typer.Argument(help="The webhook's id.")]) -> None:
    """Unsubscribe; deliveries not yet sent are dropped."""
    from app.core.errors import NotFound
    from app.webhooks import service as webhooks

    _database()
    try:
        with _unit_of_work() as session:
            webhooks.remove(session, webhook_id)
    except NotFound as exc:
        raise typer.BadParameter(str(exc)) from exc
    console.print(f"Webhook {webhook_id} removed.")


@webhooks_cli.command("test")
def webhooks_test(webhook_id: Annotated[int, typer.Argument(help="The webhook's id.")]) -> None:
    """Send a `webhook.ping` now and show how the receiver answered (exit 1 if it failed)."""
    from app.core.errors import NotFound
    from app.core.tokens import TokenSigner, secret_loader
    from app.webhooks import service as webhooks
    from app.webhooks.worker import DeliveryWorker

    settings = get_settings()
    _database()
    try:
        with _unit_of_work() as session:
            queued = webhooks.ping(session, webhook_id)
    except NotFound as exc:
        raise typer.BadParameter(str(exc)) from exc
    engine = create_db_engine(settings.database_url)
    worker = DeliveryWorker(engine, settings)
    try:
        worker.send_now(queued.id)
        with worker.reads() as session:
            signer = TokenSigner(secret_loader(settings, engine))
            page = webhooks.deliveries(session, webhook_id, cursor=None, limit=100, signer=signer)
    finally:
        worker.close()
        engine.dispose()
    sent = next(d for d in page.data if d.id == queued.id)
    attempt = sent.attempts[-1] if sent.attempts else None
    if attempt is None or attempt.error:
        console.print(f"[red]Ping {sent.message_id} failed:[/red] {attempt and attempt.error}")
        raise typer.Exit(1)
    console.print(f"Ping {sent.message_id}: {attempt.status_code} in {attempt.duration_ms} ms.")


@webhooks_cli.command("work")
def webhooks_work() -> None:
    """Run a delivery worker in the foreground (besides, or instead of, those in serve)."""
    import signal
    import threading

    from app.webhooks.worker import DeliveryWorker

    settings = get_settings()
    migrations.upgrade(_database())
    engine = create_db_engine(settings.database_url)
    worker = DeliveryWorker(engine, settings)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    worker.start()
    console.print("Delivering webhooks; Ctrl-C stops.")
    stop.wait()
    worker.stop()
    engine.dispose()


@cli.command("import")
def import_command(
    file: Annotated[str, typer.Argument(help="The file to import, or - for standard input.")],
    fmt: Annotated[Format, typer.Option("--format", help="What the file is.")] = Format.NDJSON,
    dry_run: Annotated[bool, typer.Option(help="Validate and report; write nothing.")] = False,
    url: Annotated[str | None, typer.Option(help="A Dopys server (else: this database).")] = None,
    key: Annotated[
        str | None, typer.Option(envvar="DOPYS_API_KEY", help="Write-scope API key for --url.")
    ] = None,
    lang: Annotated[
        str | None,
        typer.Option(
            help="The file's language, over the one it declares (WordPress channel "
            "<language>, feed language, Ghost locale); items that name their own keep it. "
            "Default: the file's, else the site's."
        ),
    ] = None,
    site_url: Annotated[
        str | None,
        typer.Option(help="The old site's address (Ghost exports write __GHOST_URL__ for it)."),
    ] = None,
    batch_size: Annotated[int, typer.Option(min=1, max=5000, help="Lines per transaction.")] = (
        BATCH_SIZE
    ),
) -> None:
    """Import articles (upsert by external_id) and print what became of every item. Exit
    status 1 if any item failed, a file with items imported none, or the file is an export
    cut short (it lacks the trailer line); 2 if the import could not run or a converted file
    broke off part-way."""
    if url is not None and not key:
        raise typer.BadParameter("--url needs --key (a write-scope API key).")
    settings = get_settings()
    options = Options(default_lang=settings.default_lang, site_url=site_url, lang=lang)
    if url is None:
        migrations.upgrade(_database())  # before the progress line starts
    from app.imports import transfer

    seen: list[ImportReport] = []  # the report as batches commit: what Ctrl-C leaves
    try:
        with _input(file) as stream, _progress(file, stream) as shown, _StopAtBatchEnd() as stop:
            progress = _keeping(shown, seen, stop)
            if url is not None:
                report = transfer.import_remote(
                    stream, fmt, options, url, key or "", dry_run=dry_run, progress=progress
                )
            else:
                with _write_sessions() as sessions:
                    report = transfer.import_local(
                        stream,
                        fmt,
                        options,
                        sessions,
                        dry_run=dry_run,
                        batch_size=batch_size,
                        languages=settings.site_languages,
                        progress=progress,
                    )
    except KeyboardInterrupt as exc:
        progress_console.print(_interrupted(seen[0] if seen else None, remote=url is not None))
        raise typer.Exit(ExitInterrupted) from exc
    except NoItems as exc:
        progress_console.print(f"[red]Import failed:[/red] {exc}")
        raise typer.Exit(ExitOnFailedLines) from exc
    except ImportStopped as exc:
        if exc.report.items:
            _print_report(exc.report)
        label = "Import stopped" if exc.report.items else "Import failed"
        progress_console.print(f"[red]{label}:[/red] {exc}")
        raise typer.Exit(ExitCouldNotRun) from exc
    except (transfer.TransferFailed, ConversionFailed, OSError) as exc:
        progress_console.print(f"[red]Import failed:[/red] {exc}")
        raise typer.Exit(ExitCouldNotRun) from exc
    _print_report(report)
    if report.truncated:
        done = report.created + report.updated + report.unchanged + report.failed
        progress_console.print(
            "[red]Truncated export:[/red] the file began as a Dopys export but does not end "
            f"with its trailer (or the trailer counts other lines): it was cut short. The {done} "
            "article lines it holds were imported as reported above."
        )
    if report.failed or report.truncated:
        raise typer.Exit(ExitOnFailedLines)
    if report.items and not (report.created + report.updated + report.unchanged):
        progress_console.print(
            f"[red]Nothing imported:[/red] the file has {report.items} items and none of them "
            "is an article this import takes (see the skipped items)."
        )
        raise typer.Exit(ExitOnFailedLines)


class _StopAtBatchEnd:
    """Ctrl-C stops the import once the batch being written is committed and counted (so
    the report says exactly what is stored); a second Ctrl-C stops it at once."""

    def __init__(self) -> None:
        self.asked = False

    def __enter__(self) -> "_StopAtBatchEnd":
        self._previous = signal.signal(signal.SIGINT, self._ask)
        return self

    def __exit__(self, *exc: object) -> None:
        signal.signal(signal.SIGINT, self._previous)

    def _ask(self, *_: object) -> None:
        if self.asked:
            raise KeyboardInterrupt
        self.asked = True
        progress_console.print("Stopping after the batch being written (Ctrl-C again: at once).")

    def check(self) -> None:
        if self.asked:
            raise KeyboardInterrupt


def _keeping(
    progress: "transfer.Progress", seen: list[ImportReport], stop: _StopAtBatchEnd
) -> "transfer.Progress":
    """`progress`, also keeping the report it is given (the import's own, counted batch by
    batch as each commits), and stopping there when Ctrl-C asked to."""

    def update(lines: int, report: ImportReport | None) -> None:
        if report is not None and not seen:
            seen.append(report)
        progress(lines, report)
        stop.check()

    return update


def _interrupted(report: ImportReport | None, *, remote: bool) -> str:
    """What Ctrl-C left: whole batches are stored (the one being written is rolled back),
    and a re-run finishes the import."""
    again = "To finish, run the same command again: what is stored already is reported unchanged."
    if remote:
        return f"[red]Interrupted.[/red] The server keeps the batches it had committed. {again}"
    if report is None or report.dry_run:
        return "[red]Interrupted.[/red] Nothing was stored."
    return (
        f"[red]Interrupted.[/red] Stored before the stop, in whole batches: {report.created} "
        f"created, {report.updated} updated, {report.unchanged} unchanged, {report.failed} "
        f"failed; nothing is stored part-way. {again}"
    )


@cli.command("export")
def export_command(
    file: Annotated[
        Path | None, typer.Argument(help="Where to write (default: standard output).")
    ] = None,
    url: Annotated[str | None, typer.Option(help="A Dopys server (else: this database).")] = None,
    key: Annotated[
        str | None, typer.Option(envvar="DOPYS_API_KEY", help="Write-scope API key for --url.")
    ] = None,
) -> None:
    """Export every article, drafts included, as NDJSON (the import format), ending with the
    trailer line; a stream cut short removes the partial file and exits 2."""
    if url is not None and not key:
        raise typer.BadParameter("--url needs --key (a write-scope API key).")
    if url is None:  # an unusable database is reported before any output file is made
        migrations.upgrade(_database())
    from app.imports import transfer

    try:
        with _output(file) as out:
            if url is not None:
                count = transfer.export_remote(url, key or "", out)
            else:
                with _write_sessions() as sessions:
                    count = transfer.export_local(sessions, out)
    except (transfer.TransferFailed, OSError, SQLAlchemyError) as exc:
        progress_console.print(f"[red]Export failed:[/red] {exc}")
        raise typer.Exit(ExitCouldNotRun) from exc
    progress_console.print(f"Exported {count} articles.")


@search_cli.command("reindex")
def search_reindex() -> None:
    """Analyse every translation again for search (after upgrading the analyser or its
    dictionary): a batch per transaction, so the site keeps serving and writing."""
    engine = create_db_engine(_database())
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    try:
        with Progress(*columns, console=progress_console) as bar:
            task = bar.add_task("Re-indexing translations", total=None)

            def update(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            done = indexing.reindex(engine, update)
    finally:
        engine.dispose()
    with _unit_of_work() as session:
        # A data change: cached search answers are stale.
        next_change_seq(session, [changes.EVERYTHING])
    console.print(f"Re-indexed {done} translations.")


@contextmanager
def _input(file: str) -> Iterator[IO[bytes]]:
    if file == "-":
        yield sys.stdin.buffer
        return
    with Path(file).open("rb") as stream:
        yield stream


@contextmanager
def _output(file: Path | None) -> Iterator[IO[bytes]]:
    """Standard output, or `file`, removed again if the export fails on the way: a partial
    file must not pass for a backup."""
    if file is None:
        yield sys.stdout.buffer
        return
    try:
        with file.open("wb") as out:
            yield out
    except BaseException:
        file.unlink(missing_ok=True)
        raise


def _size(stream: IO[bytes]) -> int | None:
    """The size of a regular file (what its progress is measured against); None for a
    pipe or terminal, whose end is not known in advance."""
    try:
        if not stream.seekable():
            return None
        return Path(f"/dev/fd/{stream.fileno()}").stat().st_size or None
    except (OSError, ValueError):
        return None


@contextmanager
def _progress(file: str, stream: IO[bytes]) -> Iterator["transfer.Progress"]:
    """A progress line on stderr. For a file of known size: a bar of the bytes read with the
    percentage, bytes of total, rate and time left, then lines done, lines per second and
    failed lines so far; for standard input only the counts and rates."""
    size = _size(stream)
    counts: list[ProgressColumn] = [
        TextColumn("[bold]{task.fields[lines]:,.0f}[/bold] lines"),
        TextColumn("{task.fields[rate]:,.0f} lines/s"),
        TextColumn("[red]{task.fields[errors]}[/red] errors"),
    ]
    columns: list[ProgressColumn] = (
        [
            BarColumn(bar_width=16),
            TaskProgressColumn(),
            DownloadColumn(),
            TextColumn("{task.fields[speed]}"),
            *counts,
            TextColumn("ETA"),
            TimeRemainingColumn(compact=True),
        ]
        if size
        else [SpinnerColumn(), TextColumn("{task.description}"), *counts, TimeElapsedColumn()]
    )
    if size:
        progress_console.print(f"Importing {file}", highlight=False)
    started = time.monotonic()
    with Progress(*columns, console=progress_console, transient=False) as bar:
        task = bar.add_task(
            f"Importing {file}", total=size, lines=0, rate=0.0, speed="", errors="–"
        )

        def update(lines: int, report: ImportReport | None) -> None:
            elapsed = max(time.monotonic() - started, 1e-6)
            errors = "–" if report is None else str(report.failed)
            done = stream.tell() if size else lines
            speed = f"{decimal(int(done / elapsed))}/s" if size else ""
            rate = lines / elapsed
            bar.update(task, completed=done, lines=lines, rate=rate, speed=speed, errors=errors)

        yield update
        if size:
            bar.update(task, completed=size)


def _print_report(report: ImportReport) -> None:
    title = "Import (dry run: nothing written)" if report.dry_run else "Import"
    summary = Table("created", "updated", "unchanged", "failed", title=title)
    summary.add_row(
        str(report.created),
        str(report.updated),
        str(report.unchanged),
        f"[red]{report.failed}[/red]" if report.failed else "0",
    )
    console.print(summary)
    if report.kinds:
        console.print(_kinds_table(report))
    if report.skipped_items:
        console.print(_notes_table("Skipped", report.skipped_items, report.skipped))
    if report.notes:
        console.print(_notes_table("Imported with a remark", report.notes, len(report.notes)))
    for remark in report.remarks:
        console.print(f"Note: {remark}", highlight=False)
    if not report.errors:
        return
    located = any(e.item is not None for e in report.errors)
    columns = ("kind", "item", "source line") if located else ("line",)
    errors = Table(*columns, "field", "message", title="Failed")
    for error in report.errors[:SHOWN_ERRORS]:
        where = (
            (error.kind or "", str(error.item or ""), str(error.source_line or ""))
            if located
            else (str(error.line),)
        )
        errors.add_row(*where, error.field or "", error.message)
    console.print(errors)
    hidden = len(report.errors) - SHOWN_ERRORS + report.errors_omitted
    if hidden > 0:
        console.print(f"… and {hidden} more errors.")


def _kinds_table(report: ImportReport) -> Table:
    table = Table("kind", "created", "updated", "unchanged", "skipped", "failed", title="By kind")
    for kind, counts in sorted(report.kinds.items()):
        table.add_row(
            kind,
            str(counts.created),
            str(counts.updated),
            str(counts.unchanged),
            str(counts.skipped),
            f"[red]{counts.failed}[/red]" if counts.failed else "0",
        )
    return table


def _notes_table(title: str, notes: list[ItemNote], total: int) -> Table:
    """Items with the same kind and reason on one row: how many, and which."""
    grouped: dict[tuple[str, str], list[ItemNote]] = {}
    for note in notes:
        grouped.setdefault((note.kind, note.message), []).append(note)
    table = Table("kind", "count", "items (source line)", "reason", title=title)
    for (kind, message), group in grouped.items():
        shown = ", ".join(
            f"{n.item}" + (f" (line {n.source_line})" if n.source_line else "")
            for n in group[:SHOWN_ITEMS]
        )
        if len(group) > SHOWN_ITEMS:
            shown += ", …"
        table.add_row(kind, str(len(group)), shown, message)
    if total > len(notes):
        table.caption = f"… and {total - len(notes)} more."
    return table


# Every command, present and future, reports an unusable database in one line (exit 2).
for _group in (cli, db_cli, demo_cli, keys_cli, search_cli, webhooks_cli):
    for _command in _group.registered_commands:
        if _command.callback is not None:
            _command.callback = _database_errors(_command.callback)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
