"""Sitemaps (sitemaps.org 0.9) and Google News sitemaps: public, cached like every public
response, each declaring the journal keys (app.core.changes) of what it lists."""

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response

from app.core import changes
from app.core.caching import PUBLIC, depends_on, public_responses, valid_until
from app.core.deps import ReadSessionDep, SettingsDep
from app.core.errors import DATABASE_STATUSES, problem_responses
from app.core.http import public_base_url
from app.core.i18n import normalize_lang
from app.core.inline import public_read
from app.core.schemas import SITE_LANG_MARKER
from app.models import utcnow
from app.sitemaps import service, xml

router = APIRouter(
    prefix="/v1/sitemaps",
    tags=["sitemaps"],
    dependencies=[PUBLIC],
    responses=problem_responses(*DATABASE_STATUSES),
)


def _responses(description: str) -> dict[int | str, dict[str, Any]]:
    caching = public_responses()
    ok = {
        **caching[200],
        "description": description,
        "content": {xml.MEDIA_TYPE: {"schema": {"type": "string", "format": "xml"}}},
    }
    return {**caching, 200: ok, **problem_responses(404, 422)}


class XmlResponse(Response):
    media_type = xml.MEDIA_TYPE


@router.get(
    "/index.xml",
    response_class=XmlResponse,
    responses=_responses(
        "The sitemap index: every child sitemap, with the newest change of what it lists "
        "(article and page months). Child URLs are absolute (PUBLIC_BASE_URL, else the "
        "request's own)."
    ),
)
@public_read
def sitemap_index(request: Request, session: ReadSessionDep, settings: SettingsDep) -> Response:
    """The sitemap index: article and page months, then sections, tags and authors."""
    depends_on(request, {changes.LISTING, changes.PAGES, changes.TAXONOMY})
    children = service.index(session, settings, utcnow())
    return XmlResponse(xml.sitemap_index(public_base_url(request, settings), children))


LangPath = Annotated[
    str,
    Path(
        max_length=35,
        description="One of the site's languages.",
        examples=["uk"],
        json_schema_extra={SITE_LANG_MARKER: True},
    ),
]


@router.get(
    "/news/{lang}.xml",
    response_class=XmlResponse,
    responses=_responses(
        f"Google News sitemap: the public articles in this language published in the last "
        f"48 hours, newest first (at most {service.NEWS_MAX})."
    ),
)
@public_read
def news_sitemap(
    request: Request, session: ReadSessionDep, settings: SettingsDep, lang: LangPath
) -> Response:
    """The articles of the last two days in one language, with `news:publication` (NEWS_
    PUBLICATION_NAME, else SITE_TITLE), `news:publication_date` and `news:title`."""
    depends_on(request, {changes.LISTING})
    news = service.news(session, settings, normalize_lang(lang), utcnow())
    valid_until(request, news.valid_until)
    response = XmlResponse(xml.news_urlset(news))
    response.headers["Content-Language"] = news.lang
    return response


KindPath = Annotated[
    str,
    Path(
        max_length=20,
        description="What the sitemap lists.",
        json_schema_extra={"enum": list(service.KINDS)},
    ),
]
NamePath = Annotated[
    str,
    Path(
        max_length=20,
        description="A month (`2026-11`; `2026-11-2` and on past 50,000 URLs) for articles "
        "and pages, a number from 1 for sections, tags and authors.",
        examples=["2026-11"],
    ),
]


@router.get(
    "/{kind}/{name}.xml",
    response_class=XmlResponse,
    responses=_responses(
        "A child sitemap: at most 50,000 front-end URLs, each with `lastmod` (articles and "
        "pages: the later of publication and the last change) and an "
        '`xhtml:link rel="alternate"` per language version plus `x-default`.'
    ),
)
@public_read
def child_sitemap(
    request: Request,
    session: ReadSessionDep,
    settings: SettingsDep,
    kind: KindPath,
    name: NamePath,
) -> Response:
    """One month of public articles (or pages), or a file of sections, tags or authors.
    Restricted articles are listed (their pages are public); drafts, scheduled and
    unpublished ones never are."""
    depends_on(request, service.child_keys(kind, name))
    return XmlResponse(xml.urlset(service.child(session, settings, kind, name, utcnow())))
