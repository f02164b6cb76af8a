"""Public article endpoints: the fresh-posts feed and article pages."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from app.articles import reading
from app.articles.repository import FeedFilter
from app.articles.schemas import ArticleRead, ArticleSummary
from app.core.deps import LangDep, ReadSessionDep, SettingsDep
from app.core.errors import problem_responses
from app.core.http import make_locale, set_language_headers, set_next_link
from app.core.pagination import DEFAULT_LIMIT, CursorParam, LimitParam
from app.core.schemas import Page, PageMeta, Slug
from app.taxonomy.service import SOURCES, TAGS, id_of

router = APIRouter(prefix="/v1/articles", tags=["articles"])


@router.get("", responses=problem_responses(400, 404, 422))
def list_articles(
    request: Request,
    response: Response,
    session: ReadSessionDep,
    settings: SettingsDep,
    lang: LangDep,
    cursor: CursorParam = None,
    limit: LimitParam = DEFAULT_LIMIT,
    tag: Annotated[Slug | None, Query(description="Only articles with this tag.")] = None,
    source: Annotated[Slug | None, Query(description="Only articles citing this source.")] = None,
    only_translated: Annotated[
        bool, Query(description="Drop articles not translated into the response language.")
    ] = False,
) -> Page[ArticleSummary]:
    """The fresh-posts feed: public articles, newest first, keyset-paginated."""
    where = FeedFilter(
        tag_id=id_of(session, TAGS, tag) if tag else None,
        source_id=id_of(session, SOURCES, source) if source else None,
        only_lang=lang if only_translated else None,
    )
    page = reading.feed(
        session,
        make_locale(settings, lang),
        where,
        cursor=cursor,
        limit=limit,
        scope={"tag": tag, "source": source, "only": where.only_lang},
    )
    set_language_headers(response, lang)
    set_next_link(request, response, page.next_cursor)
    return Page(data=page.items, meta=PageMeta(next_cursor=page.next_cursor, limit=limit))


@router.get("/{slug}", responses=problem_responses(404, 422))
def get_article(
    slug: Annotated[str, Path(max_length=200)],
    response: Response,
    session: ReadSessionDep,
    settings: SettingsDep,
    lang: LangDep,
) -> ArticleRead:
    """One public article by the slug of any of its translations, in that translation."""
    article = reading.article_by_slug(session, slug, make_locale(settings, lang))
    set_language_headers(response, article.lang)
    return article
