"""HTTP details shared by routers: the response language, RFC 8288 Link headers, list
responses with sparse items, and the CORS policy."""

from fastapi import Request, Response
from pydantic import BaseModel

from app.articles.reading import Locale
from app.core.config import Settings
from app.models import utcnow

# CORS: what a browser front end may send, and which response headers its scripts may read.
CORS_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
CORS_REQUEST_HEADERS = [
    "Authorization",
    "Content-Type",
    "Accept-Language",
    "If-Match",
    "If-None-Match",
    "If-Modified-Since",
]
CORS_EXPOSED_HEADERS = ["ETag", "Last-Modified", "Link", "Content-Language", "Location"]


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
    next_cursor: str | None = None,
) -> Response:
    """A `{"data": [...], ...}` page as JSON with only `item_fields` in each item."""
    keep = {name: True for name in type(page).model_fields}
    body = page.model_dump_json(include={**keep, "data": {"__all__": item_fields}})
    response = Response(body, media_type="application/json")
    set_language_headers(response, lang)
    set_next_link(request, response, next_cursor)
    return response
