"""Syndication feeds of the fresh posts: RSS 2.0, Atom 1.0 and JSON Feed 1.1."""

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from app.core import changes
from app.core.caching import PUBLIC, depends_on, public_responses
from app.core.config import Settings
from app.core.deps import ReadSessionDep, SettingsDep
from app.core.errors import DATABASE_STATUSES, problem_responses
from app.core.http import public_base_url
from app.core.i18n import normalize_lang
from app.core.schemas import SITE_LANG_MARKER
from app.feeds import formats, service
from app.feeds.schemas import JsonFeed
from app.feeds.service import FeedFormat

router = APIRouter(
    prefix="/v1/feeds",
    tags=["feeds"],
    dependencies=[PUBLIC],
    responses=problem_responses(*DATABASE_STATUSES),
)


def _response_class(fmt: FeedFormat) -> type[Response]:
    """Each format's operation documents its own media type (the handler sets it too)."""
    base = JSONResponse if fmt is FeedFormat.JSON else Response
    return type(f"{fmt.name.title()}FeedResponse", (base,), {"media_type": fmt.media_type})


_CACHING = public_responses()
_FORMAT_NAMES = {
    FeedFormat.RSS: "RSS 2.0",
    FeedFormat.ATOM: "Atom 1.0",
    FeedFormat.JSON: "JSON Feed 1.1",
}


def _responses(fmt: FeedFormat) -> dict[int | str, dict[str, Any]]:
    ok: dict[str, Any] = {
        **_CACHING[200],
        "description": (
            f"{_FORMAT_NAMES[fmt]}: the newest {service.FEED_LENGTH} public articles, newest "
            "first, each in the feed's language or, untranslated, in its original one; full "
            "bodies included. Titles, excerpts and names are text (RSS `<description>`: the "
            "excerpt HTML-escaped); bodies are sanitized HTML (`content:encoded`, Atom "
            '`content type="html"`, `content_html`). Self and alternate links are absolute '
            "URLs (PUBLIC_BASE_URL, else the request's own)."
        ),
    }
    if fmt is FeedFormat.JSON:
        ok["model"] = JsonFeed
    else:
        ok["content"] = {fmt.media_type: {"schema": {"type": "string", "format": "xml"}}}
    return {**_CACHING, 200: ok, **problem_responses(404, 422)}


LangPath = Annotated[
    str,
    Path(
        max_length=35,
        description="Feed language, one of the site's.",
        examples=["uk"],
        json_schema_extra={SITE_LANG_MARKER: True},
    ),
]
FormatPath = Annotated[str, Path(alias="format", max_length=10)]
KindPath = Annotated[
    str,
    Path(
        max_length=20,
        description="`tags`, `sources` or `authors` (`author` also works).",
        json_schema_extra={"enum": [*service.FEED_KINDS, "author"]},
    ),
]
SlugPath = Annotated[
    str, Path(max_length=200, description="Slug of an existing tag, source or author.")
]


def _feed(
    request: Request,
    session: Session,
    settings: Settings,
    lang: str,
    fmt: FeedFormat,
    kind: str | None = None,
    slug: str | None = None,
) -> Response:
    taxonomy = service.parse_kind(kind) if kind is not None else None
    channel = service.channel(
        session,
        settings,
        normalize_lang(lang),
        base_url=public_base_url(request, settings),
        taxonomy=taxonomy,
        slug=slug,
    )
    shown = (
        changes.LISTING if taxonomy is None or slug is None else changes.facet(taxonomy.kind, slug)
    )
    depends_on(request, [shown])
    response = Response(formats.render(channel, fmt), media_type=fmt.media_type)
    # The language is in the path, so unlike the JSON API nothing varies by Accept-Language.
    response.headers["Content-Language"] = channel.lang
    return response


def _add_format_routes(fmt: FeedFormat) -> None:
    """Two operations per format: the language's feed and a tag's or source's."""

    def language_feed(
        request: Request, session: ReadSessionDep, settings: SettingsDep, lang: LangPath
    ) -> Response:
        return _feed(request, session, settings, lang, fmt)

    def taxonomy_feed(
        request: Request,
        session: ReadSessionDep,
        settings: SettingsDep,
        lang: LangPath,
        kind: KindPath,
        slug: SlugPath,
    ) -> Response:
        return _feed(request, session, settings, lang, fmt, kind, slug)

    name = _FORMAT_NAMES[fmt]
    common: dict[str, Any] = {
        "response_class": _response_class(fmt),
        "responses": _responses(fmt),
        "methods": ["GET"],
    }
    router.add_api_route(
        f"/{{lang}}.{fmt}",
        language_feed,
        name=f"language_feed_{fmt}",
        summary=f"Fresh posts as {name}",
        description=f"The fresh posts in one language as {name}, e.g. `/v1/feeds/uk.{fmt}`.",
        **common,
    )
    router.add_api_route(
        f"/{{lang}}/{{kind}}/{{slug}}.{fmt}",
        taxonomy_feed,
        name=f"taxonomy_feed_{fmt}",
        summary=f"A tag's or source's posts as {name}",
        description=f"The fresh posts of one tag or citing one source as {name}, e.g. "
        f"`/v1/feeds/uk/tags/news.{fmt}`, `/v1/feeds/en/sources/isw.{fmt}`.",
        **common,
    )


for _fmt in FeedFormat:
    _add_format_routes(_fmt)


# Any other extension: a 404 that lists the formats there are.
@router.get("/{lang}.{format}", include_in_schema=False)
def unknown_format(feed_format: FormatPath) -> Response:
    raise service.unknown_format(feed_format)


@router.get("/{lang}/{kind}/{slug}.{format}", include_in_schema=False)
def unknown_taxonomy_format(feed_format: FormatPath) -> Response:
    raise service.unknown_format(feed_format)
