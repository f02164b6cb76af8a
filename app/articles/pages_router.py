"""Public static pages ("Про нас", "Контакти"): articles of type `page`, kept out of the
article feed, search, sync and syndication."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from app.articles import reading
from app.articles.deps import ListingFilter
from app.articles.repository import FeedFilter
from app.articles.router import article_depends, feed_response
from app.articles.schemas import ArticleRead, FeedPage
from app.core import changes
from app.core.caching import PUBLIC, depends_on, public_responses
from app.core.deps import ExplicitLangDep, LangDep, ReadSessionDep, SettingsDep
from app.core.errors import DATABASE_STATUSES, problem_responses
from app.core.http import article_response, make_locale
from app.core.inline import public_read
from app.core.pagination import DEFAULT_LIMIT, CursorParam, LimitParam, SignerDep
from app.core.sparse import FieldsParam, ListIncludeParam
from app.models import ArticleType

router = APIRouter(
    prefix="/v1/pages",
    tags=["pages"],
    dependencies=[PUBLIC],
    responses=problem_responses(*DATABASE_STATUSES),
)


@router.get(
    "",
    response_model=FeedPage,
    responses={**public_responses(link=True), **problem_responses(400, 422)},
)
@public_read
def list_pages(
    request: Request,
    session: ReadSessionDep,
    settings: SettingsDep,
    lang: LangDep,
    signer: SignerDep,
    only_translated: Annotated[
        bool, Query(description="Drop pages not translated into the response language.")
    ] = False,
    cursor: CursorParam = None,
    limit: LimitParam = DEFAULT_LIMIT,
    fields: FieldsParam = None,
    include: ListIncludeParam = None,
) -> Response:
    """Public pages, newest first, keyset-paginated; each in the reader's language or its
    original, like feed items."""
    where = FeedFilter(only_lang=lang if only_translated else None, type=ArticleType.PAGE)
    return feed_response(
        request,
        session,
        make_locale(settings, lang),
        ListingFilter(where, {"type": "page", "only": where.only_lang}, frozenset({changes.PAGES})),
        cursor=cursor,
        limit=limit,
        newer_than=None,
        selected=reading.list_item_fields(fields, include),
        sparse=fields is not None,
        signer=signer,
    )


@router.get(
    "/{slug}",
    response_model=ArticleRead,
    responses={**public_responses(), **problem_responses(400, 404, 422)},
)
@public_read
def get_page(
    slug: Annotated[str, Path(max_length=200)],
    request: Request,
    session: ReadSessionDep,
    settings: SettingsDep,
    lang: LangDep,
    explicit: ExplicitLangDep,
) -> Response:
    """One public page by the slug of any of its translations, in that translation; with
    an explicit `lang=`, in that language's translation if there is one."""
    page = reading.article_by_slug(
        session,
        slug,
        make_locale(settings, lang),
        prefer_explicit=explicit,
        type_=ArticleType.PAGE,
    )
    depends_on(request, article_depends(slug, page))
    return article_response(page)
