"""Where the app is assembled; tests build it the same way."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.telemetry import TelemetryConfig
from starlette.types import Message, Receive, Scope, Send

from app.articles import fragments
from app.articles.editor_router import router as article_editor_router
from app.articles.pages_router import router as pages_router
from app.articles.router import router as articles_router
from app.cdn.router import router as cdn_router
from app.cdn.worker import PurgeWorker
from app.core import caching, openapi
from app.core.compression import CompressionMiddleware
from app.core.config import Settings, get_settings
from app.core.cors import CORS_EXPOSED_HEADERS, CORS_METHODS, CORS_REQUEST_HEADERS, Cors
from app.core.db import create_db_engine, make_session_factory
from app.core.errors import install_error_handlers
from app.core.guards import RequestGuard, close_if_unread, has_body
from app.core.memory import freeze_startup_heap, thaw_startup_heap
from app.core.ratelimit import RateLimiter, make_store
from app.core.tokens import TokenSigner, secret_loader
from app.exports.router import router as exports_router
from app.feeds.router import router as feeds_router
from app.health.router import router as health_router
from app.imports.router import router as imports_router
from app.search.router import router as search_router
from app.sitemaps.router import router as sitemaps_router
from app.sync.router import router as sync_router
from app.taxonomy.router import editor_router as taxonomy_editor_router
from app.taxonomy.router import router as taxonomy_router
from app.webhooks.router import router as webhooks_router
from app.webhooks.worker import DeliveryWorker

_NO_TELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}


def operation_id(route: APIRoute) -> str:
    """Stable, readable ids (`articles-list_articles`) so generated clients get clean names."""
    group = route.tags[0] if route.tags else "default"
    return f"{group}-{route.name}"


class DopysAPI(FastAPI):
    """FastAPI with the response cache's front door: a GET the cache can answer is
    answered before the middleware stack, which has nothing to add to it (reads are not
    rate-limited, it has no body to bound, and its coding is settled). HEAD is answered
    as the GET it stands for, without the body (RFC 9110 §9.3.2), as CDNs, link checkers
    and `curl -I` expect; FastAPI routes know only the methods they declare. A response
    to a request whose body it has not read closes the connection (guards.close_if_unread)."""

    front_door: caching.PublicCache | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "HEAD":
            scope, send = {**scope, "method": "GET"}, _without_body(send)
        if scope["type"] == "http" and has_body(scope):
            receive, send = close_if_unread(scope, receive, send)
        if self.front_door is not None and await self.front_door.answer_early(scope, send):
            return
        await super().__call__(scope, receive, send)


def _without_body(send: Send) -> Send:
    async def headers_only(message: Message) -> None:
        if message["type"] == "http.response.body":
            message = {**message, "body": b""}
        await send(message)

    return headers_only


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # One delivery worker per process (uvicorn --workers N: N of them, which share
        # the work through the database; see app.webhooks.worker).
        config: Settings = app.state.settings
        worker = DeliveryWorker(app.state.engine, config) if config.webhooks_worker else None
        if worker is not None:
            worker.start()
        purges = PurgeWorker(app.state.engine, config) if config.cdn_purge else None
        if purges is not None:
            purges.start()
        freeze_startup_heap()
        yield
        thaw_startup_heap()
        for job in list(app.state.import_jobs):
            job.cancel()  # its row stops beating: it reads as interrupted, to be re-run
        if worker is not None:
            worker.stop()
        if purges is not None:
            purges.stop()
        app.state.version_probe.dispose()
        app.state.rate_limit_store.close()
        app.state.engine.dispose()
        if app.state.read_engine is not app.state.engine:
            app.state.read_engine.dispose()

    app = DopysAPI(
        title="Dopys",
        summary="Bilingual headless content API for newsrooms.",
        version="1.0.0",
        lifespan=lifespan,
        generate_unique_id_function=operation_id,
        docs_url=None,
        redoc_url=None,
        # FastAPI's native OpenTelemetry looks up the global providers on every request.
        telemetry=None if settings.opentelemetry else _NO_TELEMETRY,
    )
    timeout = settings.database_connect_timeout
    engine = create_db_engine(settings.database_url, connect_timeout=timeout)
    read_engine = (
        create_db_engine(settings.database_read_url, connect_timeout=timeout)
        if settings.database_read_url
        else engine
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.read_engine = read_engine
    rendering = fragments.session_info(settings)
    app.state.read_sessions = make_session_factory(read_engine, info=rendering)
    app.state.write_sessions = make_session_factory(engine, write=True, info=rendering)
    app.state.import_jobs = set()  # background imports (app.imports.jobs) running here
    app.state.rate_limit_store = make_store(settings)
    app.state.token_signer = TokenSigner(secret_loader(settings, engine))

    install_error_handlers(app)
    openapi.install(app, settings)
    for router in (
        health_router,
        articles_router,
        pages_router,
        search_router,
        feeds_router,
        sitemaps_router,
        taxonomy_router,
        sync_router,
        article_editor_router,
        taxonomy_editor_router,
        imports_router,
        exports_router,
        webhooks_router,
        cdn_router,
    ):
        app.include_router(router)
    install_middleware(app, settings)
    return app


def install_middleware(app: DopysAPI, settings: Settings) -> None:
    """Outermost last: CORS answers preflights and decorates everything (413s and 429s
    too), the rate limit turns floods away before a body is read, the guard bounds bodies,
    compression sees every body, the public response cache sits closest to the routes."""
    app.front_door = caching.install(app, settings)
    app.add_middleware(CompressionMiddleware, minimum_size=settings.compression_min_bytes)
    app.add_middleware(
        RequestGuard,
        max_body_bytes=settings.max_body_bytes,
        max_import_bytes=settings.max_import_bytes,
        settings=settings,
    )
    app.add_middleware(RateLimiter, settings=settings, store=app.state.rate_limit_store)
    if settings.cors_origins:
        app.add_middleware(
            Cors,
            allow_origins=settings.cors_origins,
            allow_methods=CORS_METHODS,
            allow_headers=CORS_REQUEST_HEADERS,
            expose_headers=CORS_EXPOSED_HEADERS,
            max_age=settings.cors_max_age,
        )
