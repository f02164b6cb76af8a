"""HTTP details shared by routers: the response language, RFC 8288 Link headers, the
public base URL, and list responses with sparse items."""

from fastapi import Request, Response
from pydantic import BaseModel

from app.articles.reading import Locale
from app.core.config import Settings
from app.core.sparse import SPARSE_MEDIA_TYPE
from app.models import utcnow


def make_locale(settings: Settings, lang: str) -> Locale:
    return Locale(
        lang=lang,
        default_lang=settings.default_lang,
        url_template=settings.frontend_url_template,
        now=utcnow(),
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


def page_response(
    request: Request,
    page: BaseModel,
    item_fields: set[str],
    *,
    lang: str,
    sparse: bool,
    next_cursor: str | None = None,
) -> Response:
    """A `{"data": [...], ...}` page as JSON with only `item_fields` in each item; `sparse`
    (a `fields=` projection) answers as SPARSE_MEDIA_TYPE, whose items may lack any field."""
    keep = {name: True for name in type(page).model_fields}
    body = page.model_dump_json(include={**keep, "data": {"__all__": item_fields}})
    response = Response(body, media_type=SPARSE_MEDIA_TYPE if sparse else "application/json")
    set_language_headers(response, lang)
    set_next_link(request, response, next_cursor)
    return response
