"""The OpenAPI document as clients and linters read it: what FastAPI generates, finished
with what it cannot know (servers, licence, tag descriptions, public operations' empty
`security`, the sparse media type of `fields=` projections, the site's languages)."""

import copy
from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from app.core.config import Settings
from app.core.errors import PROBLEM_MEDIA_TYPE
from app.core.schemas import SITE_LANG_MARKER
from app.core.sparse import SPARSE_MEDIA_TYPE

DESCRIPTION = """\
A headless content API for bilingual (Ukrainian/English) news sites: the fresh-posts feed,
article pages with their translations, sections (tags), cited sources, full-text search,
RSS/Atom/JSON Feed syndication and delta sync for offline caches, plus the editor API.

Every error is an RFC 9457 `application/problem+json` document. Public reads need no
credentials; editor operations take an API key as `Authorization: Bearer <key>`.
Timestamps are RFC 3339 UTC with whole seconds (`2026-11-30T08:00:00Z`)."""

LICENSE = {"name": "MIT", "identifier": "MIT"}
CONTACT = {"name": "Dopys maintainers"}

TAGS: list[dict[str, str]] = [
    {"name": "articles", "description": "The fresh-posts feed and public article pages."},
    {"name": "pages", "description": 'Static pages ("Про нас", "Контакти"), localized.'},
    {"name": "search", "description": "Full-text search over public articles."},
    {"name": "feeds", "description": "RSS 2.0, Atom 1.0 and JSON Feed 1.1 syndication."},
    {
        "name": "sitemaps",
        "description": "Sitemaps (sitemaps.org 0.9, hreflang alternates) and Google News sitemaps.",
    },
    {"name": "tags", "description": "Sections, localized."},
    {"name": "authors", "description": "Bylines: authors with names and bios, localized."},
    {"name": "sources", "description": "Sources articles cite (ISW, news agencies...)."},
    {"name": "sync", "description": "Delta sync for offline caches: upserts and tombstones."},
    {"name": "editor", "description": "Writing articles, tags and sources (API key needed)."},
    {"name": "imports", "description": "Bulk NDJSON imports (API key needed)."},
    {"name": "exports", "description": "Bulk NDJSON exports (API key needed)."},
    {"name": "webhooks", "description": "Signed notifications of public changes (admin key)."},
    {"name": "cdn", "description": "Purges sent to the CDN in front (admin key): list, resend."},
    {"name": "health", "description": "Liveness and readiness probes."},
]

SPARSE_SUFFIX = "Sparse"


_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
_METHODS = {"get", "put", "post", "patch", "delete", "head", "options"}


def server_url(settings: Settings) -> str:
    """The documented server: PUBLIC_BASE_URL, or the origin serving the document."""
    return settings.public_base_url.rstrip("/") if settings.public_base_url else "/"


def finish(spec: dict[str, Any], settings: Settings) -> dict[str, Any]:
    spec["info"]["description"] = DESCRIPTION
    spec["info"]["license"] = LICENSE
    spec["info"]["contact"] = CONTACT
    spec["servers"] = [
        {"url": server_url(settings), "description": "This API (set by PUBLIC_BASE_URL)."}
    ]
    spec["tags"] = TAGS
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    for operation in _operations(spec):
        # Public operations say so: an empty requirement, not an absent one.
        operation.setdefault("security", [])
        for response in operation.get("responses", {}).values():
            _problems_as_problem_json(response)
        parameters = operation.get("parameters", [])
        if any(p["name"] == "fields" and p["in"] == "query" for p in parameters):
            _document_sparse(operation, schemas)
        _site_languages([p["schema"] for p in parameters], settings.supported_langs)
    _site_languages(
        [prop for schema in schemas.values() for prop in schema.get("properties", {}).values()],
        settings.supported_langs,
    )
    return spec


def _operations(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        operation
        for item in spec.get("paths", {}).values()
        for method, operation in item.items()
        if method in _METHODS
    ]


def _problems_as_problem_json(response: dict[str, Any]) -> None:
    """Problem documents are application/problem+json whatever the route's own media type
    (FastAPI files extra responses under the route's response class)."""
    content = response.get("content", {})
    for media_type in [m for m, c in content.items() if c.get("schema") == _PROBLEM_REF]:
        if media_type != PROBLEM_MEDIA_TYPE:
            content[PROBLEM_MEDIA_TYPE] = content.pop(media_type)


def _document_sparse(operation: dict[str, Any], schemas: dict[str, Any]) -> None:
    """A page whose items may lack any field, under SPARSE_MEDIA_TYPE."""
    content = operation["responses"]["200"]["content"]
    page_ref: str = content["application/json"]["schema"]["$ref"]
    page_name = page_ref.rsplit("/", 1)[1]
    sparse_page = page_name + SPARSE_SUFFIX
    if sparse_page not in schemas:
        page = copy.deepcopy(schemas[page_name])
        item_name = page["properties"]["data"]["items"]["$ref"].rsplit("/", 1)[1]
        item = copy.deepcopy(schemas[item_name])
        item.pop("required", None)
        item["title"] = item_name + SPARSE_SUFFIX
        item["description"] = (
            f"{item_name} projected by `fields=`: only the named fields (and `body` or "
            "`structured_data` with `include=`) are present."
        )
        schemas[item_name + SPARSE_SUFFIX] = item
        page["properties"]["data"]["items"] = {
            "$ref": f"#/components/schemas/{item_name}{SPARSE_SUFFIX}"
        }
        page["title"] = sparse_page
        page["description"] = f"{page_name} answered to a `fields=` request."
        schemas[sparse_page] = page
    content[SPARSE_MEDIA_TYPE] = {"schema": {"$ref": f"#/components/schemas/{sparse_page}"}}


# Says that an `enum` is the serving site's SITE_LANGUAGES, not a fixed list: the document a
# server serves lists its own, the committed one those of the default settings (uk, en).
SITE_LANGUAGES_EXTENSION = "x-dopys-site-languages"


def _site_languages(schemas: list[dict[str, Any]], languages: list[str]) -> None:
    """The configured languages as the `enum` of what SiteLang marks."""
    for schema in schemas:
        if schema.pop(SITE_LANG_MARKER, False):
            schema["enum"] = list(languages)
            schema[SITE_LANGUAGES_EXTENSION] = "SITE_LANGUAGES"


DOCS_ASSETS_PATH = "/docs-assets"
_ASSETS_DIR = Path(fastapi_offline.__file__).parent / "static"


def _docs_routes(app: FastAPI) -> None:
    """Swagger UI at /docs and ReDoc at /redoc with their scripts, styles and icon served
    by the app itself (fastapi-offline ships them), so the pages work with no internet."""
    app.mount(DOCS_ASSETS_PATH, StaticFiles(directory=_ASSETS_DIR), name="docs-assets")
    favicon = f"{DOCS_ASSETS_PATH}/favicon.png"

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title=f"{app.title}: API reference",
            swagger_js_url=f"{DOCS_ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{DOCS_ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=favicon,
        )

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url="/openapi.json",
            title=f"{app.title}: API reference",
            redoc_js_url=f"{DOCS_ASSETS_PATH}/redoc.standalone.js",
            redoc_favicon_url=favicon,
            with_google_fonts=False,
        )


def install(app: FastAPI, settings: Settings) -> None:
    """Finishes the document and serves the docs pages (create the app with
    docs_url=None, redoc_url=None)."""
    _docs_routes(app)
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = finish(build(), settings)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
