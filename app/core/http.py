"""HTTP details shared by routers: the response language and RFC 8288 Link headers."""

from fastapi import Request, Response

from app.articles.reading import Locale
from app.core.config import Settings
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


def set_next_link(request: Request, response: Response, next_cursor: str | None) -> None:
    if next_cursor is None:
        return
    url = request.url.include_query_params(cursor=next_cursor)
    response.headers["Link"] = f'<{url}>; rel="next"'
