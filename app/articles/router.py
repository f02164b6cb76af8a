"""Public article endpoints: the fresh-posts feed and article pages."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from sqlalchemy.orm import Session

from app.articles import fragments, reading
from app.articles.deps import ListingFilter, ListingFilterDep
from app.articles.rendering import Locale
from app.articles.schemas import ArticleRead, FeedMeta, FeedPage, RelatedPage
from app.core import changes
from app.core.caching import PUBLIC, depends_on, public_responses
from app.core.deps import ExplicitLangDep, LangDep, ReadSessionDep, SettingsDep
from app.core.errors import DATABASE_STATUSES, problem_responses
from app.core.http import article_response, make_locale, page_response
from app.core.inline import public_read
from app.core.pagination import DEFAULT_LIMIT, CursorParam, LimitParam, SignerDep
from app.core.sparse import FieldsParam, ListIncludeParam
from app.core.tokens import TokenSigner

router = APIRouter(
    prefix="/v1/articles",
    tags=["articles"],
    dependencies=[PUBLIC],
    responses=problem_responses(*DATABASE_STATUSES),
)

NewerThanParam = Annotated[
    str | None,
    Query(
        max_length=512,
        description="Pull-to-refresh: only items published after this position (a "
        "`meta.newest_cursor` from the same listing), newest first.",
    ),
]


@router.get(
    "",
    response_model=FeedPage,
    responses={**public_responses(link=True), **problem_responses(400, 404, 422)},
)
@public_read
def list_articles(
    request: Request,
    session: ReadSessionDep,
    settings: SettingsDep,
    lang: LangDep,
    filters: ListingFilterDep,
    signer: SignerDep,
    cursor: CursorParam = None,
    limit: LimitParam = DEFAULT_LIMIT,
    newer_than: NewerThanParam = None,
    fields: FieldsParam = None,
    include: ListIncludeParam = None,
) -> Response:
    """The fresh-posts feed: public articles, newest first, keyset-paginated (`type=page`:
    static pages instead)."""
    return feed_response(
        request,
        session,
        make_locale(settings, lang),
        filters,
        cursor=cursor,
        limit=limit,
        newer_than=newer_than,
        selected=reading.list_item_fields(fields, include),
        sparse=fields is not None,
        signer=signer,
    )


def feed_response(
    request: Request,
    session: Session,
    locale: Locale,
    filters: ListingFilter,
    *,
    cursor: str | None,
    limit: int,
    newer_than: str | None,
    selected: set[str],
    sparse: bool,
    signer: TokenSigner,
) -> Response:
    """A feed page as the response: shared by the article feed and the list of pages."""
    lang = locale.lang
    depends_on(request, filters.depends)
    page = reading.feed(
        session,
        locale,
        filters.where,
        cursor=cursor,
        newer_than=newer_than,
        limit=limit,
        scope=filters.scope,
        signer=signer,
        with_body="body" in selected,
    )
    meta = FeedMeta(next_cursor=page.next_cursor, newest_cursor=page.newest_cursor, limit=limit)
    items = page.items
    if "structured_data" in selected:
        items = fragments.with_structured_data(session, items, lang)
    return page_response(
        request,
        FeedPage(data=[], meta=meta),
        [item.json(selected) for item in items],
        lang=lang,
        sparse=sparse,
        next_cursor=meta.next_cursor,
    )


@router.get(
    "/{slug}",
    response_model=ArticleRead,
    responses={**public_responses(), **problem_responses(400, 404, 422)},
)
@public_read
def get_article(
    slug: Annotated[str, Path(max_length=200)],
    request: Request,
    session: ReadSessionDep,
    settings: SettingsDep,
    lang: LangDep,
    explicit: ExplicitLangDep,
) -> Response:
    """One public article by the slug of any of its translations, in that translation;
    with an explicit `lang=`, in that language's translation if there is one (else still
    the slug's). Names of tags and sources follow the negotiated language."""
    article = reading.article_by_slug(
        session, slug, make_locale(settings, lang), prefer_explicit=explicit
    )
    depends_on(request, article_depends(slug, article))
    return article_response(article)


def article_depends(slug: str, article: reading.ArticlePage) -> set[str]:
    """What the article page found by `slug` shows (app.core.changes)."""
    return changes.article_page(
        article.id, slug, article.tag_slugs, article.source_slugs, article.author_slugs
    )


RelatedLimitParam = Annotated[int, Query(ge=1, le=20, description="How many (1–20).")]


@router.get(
    "/{slug}/related",
    response_model=RelatedPage,
    responses={**public_responses(), **problem_responses(400, 404, 422)},
)
@public_read
def related_articles(
    slug: Annotated[str, Path(max_length=200)],
    request: Request,
    session: ReadSessionDep,
    settings: SettingsDep,
    lang: LangDep,
    limit: RelatedLimitParam = 5,
    fields: FieldsParam = None,
) -> Response:
    """Public articles sharing tags and sources with this public one, best first, each in
    the reader's language (or its original when untranslated)."""
    selected = reading.list_item_fields(fields, None)
    depends_on(request, [changes.LISTING])
    items = reading.related(session, slug, make_locale(settings, lang), limit=limit)
    return page_response(
        request,
        RelatedPage(data=[]),
        [item.json(selected) for item in items],
        lang=lang,
        sparse=fields is not None,
    )
