"""HTTP details shared by routers: the response language, RFC 8288 Link headers, the
public base URL, and list responses with sparse items."""

from collections.abc import Sequence

from fastapi import Request, Response
from pydantic import BaseModel

from app.articles.reading import ArticlePage
from app.articles.rendering import Locale
from app.articles.structured import Publisher
from app.core.config import Settings
from app.core.sparse import SPARSE_MEDIA_TYPE
from app.models import utcnow


def make_locale(settings: Settings, lang: str) -> Locale:
    return Locale(
        lang=lang,
        default_lang=settings.default_lang,
        url_template=settings.frontend_url_template,
        now=utcnow(),
        publisher=Publisher.of(settings),
    )


def set_language_headers(response: Response, lang: str) -> None:
    response.headers["Content-Language"] = lang
    response.headers["Vary"] = "Accept-Language"


def public_base_url(request: Request, settings: Settings) -> str:
    """Where clients reach the API, without a trailing slash: PUBLIC_BASE_URL, else the
    request's own base URL (uvicorn rewrites its scheme and client from the proxy headers
    of FORWARDED_ALLOW_IPS)."""
    return (settings.public_base_url or str(request.base_url)).rstrip("/")


def set_next_link(request: Request, response: Response, next_cursor: str | None) -> None:
    if next_cursor is None:
        return
    url = request.url.include_query_params(cursor=next_cursor)
    response.headers["Link"] = f'<{url}>; rel="next"'


def article_response(article: ArticlePage) -> Response:
    response = Response(article.json, media_type="application/json")
    set_language_headers(response, article.lang)
    return response


_EMPTY_DATA = b'{"data":[]'


def page_response(
    request: Request,
    page: BaseModel,
    items: Sequence[bytes],
    *,
    lang: str,
    sparse: bool,
    next_cursor: str | None = None,
) -> Response:
    """A `{"data": [...], ...}` page as JSON: `page` (its `data` empty) with the items'
    JSON joined in; `sparse` (a `fields=` projection) answers as SPARSE_MEDIA_TYPE, whose
    items may lack any field."""
    shell = page.model_dump_json().encode()
    assert shell.startswith(_EMPTY_DATA), "`data` is a page's first field, left empty"
    body = b"%s%s]%s" % (_EMPTY_DATA[:-1], b",".join(items), shell[len(_EMPTY_DATA) :])
    response = Response(body, media_type=SPARSE_MEDIA_TYPE if sparse else "application/json")
    set_language_headers(response, lang)
    set_next_link(request, response, next_cursor)
    return response
