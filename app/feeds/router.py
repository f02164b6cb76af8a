"""Syndication feeds of the fresh posts: RSS 2.0, Atom 1.0 and JSON Feed 1.1."""

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response
from fastapi.responses import JSONResponse

from app.core.caching import PUBLIC, public_responses
from app.core.deps import ReadSessionDep, SettingsDep
from app.core.errors import DATABASE_STATUSES, problem_responses
from app.core.i18n import normalize_lang
from app.feeds import formats, service
from app.feeds.schemas import JsonFeed
from app.feeds.service import FeedFormat

router = APIRouter(
    prefix="/v1/feeds",
    tags=["feeds"],
    dependencies=[PUBLIC],
    responses=problem_responses(*DATABASE_STATUSES),
)


class _FeedResponse(JSONResponse):
    """Documents JsonFeed under JSON Feed's own media type (the handlers set the real one)."""

    media_type = FeedFormat.JSON.media_type


_XML_SCHEMA = {"type": "string", "format": "xml"}
_CACHING = public_responses()
_FEED_RESPONSES: dict[int | str, dict[str, Any]] = {
    **_CACHING,
    200: {
        **_CACHING[200],
        "description": (
            f"The newest {service.FEED_LENGTH} public articles, newest first, each in the "
            "feed's language or, untranslated, in its original one; full bodies included."
        ),
        "model": JsonFeed,
        "content": {
            FeedFormat.RSS.media_type: {"schema": _XML_SCHEMA},
            FeedFormat.ATOM.media_type: {"schema": _XML_SCHEMA},
        },
    },
    **problem_responses(404, 422),
}

LangPath = Annotated[
    str,
    Path(
        max_length=35,
        description="Feed language, one of the site's (e.g. `uk`, `en`).",
        examples=["uk"],
    ),
]
FormatPath = Annotated[
    str,
    Path(
        alias="format",
        max_length=10,
        description="`rss` (RSS 2.0), `atom` (Atom 1.0) or `json` (JSON Feed 1.1).",
        json_schema_extra={"enum": [fmt.value for fmt in FeedFormat]},
    ),
]
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
    session: ReadSessionDep,
    settings: SettingsDep,
    lang: str,
    raw_format: str,
    kind: str | None = None,
    slug: str | None = None,
) -> Response:
    fmt = service.parse_format(raw_format)
    taxonomy = service.parse_kind(kind) if kind is not None else None
    channel = service.channel(session, settings, normalize_lang(lang), taxonomy=taxonomy, slug=slug)
    response = Response(formats.render(channel, fmt), media_type=fmt.media_type)
    # The language is in the path, so unlike the JSON API nothing varies by Accept-Language.
    response.headers["Content-Language"] = channel.lang
    return response


@router.get("/{lang}.{format}", response_class=_FeedResponse, responses=_FEED_RESPONSES)
def language_feed(
    session: ReadSessionDep, settings: SettingsDep, lang: LangPath, feed_format: FormatPath
) -> Response:
    """The fresh posts in one language, e.g. `/v1/feeds/uk.rss`."""
    return _feed(session, settings, lang, feed_format)


@router.get(
    "/{lang}/{kind}/{slug}.{format}", response_class=_FeedResponse, responses=_FEED_RESPONSES
)
def taxonomy_feed(
    session: ReadSessionDep,
    settings: SettingsDep,
    lang: LangPath,
    kind: KindPath,
    slug: SlugPath,
    feed_format: FormatPath,
) -> Response:
    """The fresh posts of one tag, citing one source or by one author, e.g.
    `/v1/feeds/uk/tags/news.atom`, `/v1/feeds/en/sources/isw.json`,
    `/v1/feeds/uk/author/olena-petrenko.rss`."""
    return _feed(session, settings, lang, feed_format, kind, slug)
