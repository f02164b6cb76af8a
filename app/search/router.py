"""Public full-text search over published articles."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.articles.deps import ListingFilterDep
from app.articles.reading import list_item_fields
from app.core.caching import PUBLIC, depends_on, public_responses
from app.core.deps import LangDep, ReadSessionDep, SettingsDep
from app.core.errors import DATABASE_STATUSES, problem_responses
from app.core.http import make_locale, page_response
from app.core.pagination import DEFAULT_LIMIT, CursorParam, LimitParam, SignerDep
from app.core.schemas import PageMeta
from app.core.sparse import FieldsParam, IncludeParam
from app.search import analysis, service
from app.search.budget import Stop, until_disconnected
from app.search.schemas import HIT_FIELDS, SearchResults

router = APIRouter(
    prefix="/v1/search",
    tags=["search"],
    dependencies=[PUBLIC],
    responses=problem_responses(*DATABASE_STATUSES),
)


@router.get(
    "",
    response_model=SearchResults,
    responses={**public_responses(link=True), **problem_responses(400, 404, 422)},
)
async def search_articles(
    request: Request,
    session: ReadSessionDep,
    settings: SettingsDep,
    lang: LangDep,
    q: Annotated[
        str,
        Query(
            min_length=1,
            max_length=200,
            description=(
                "Words (any case). A word matches every form of its lemmas: Ukrainian by "
                'dictionary ("року" finds "рік", "році"), English by stem '
                '("countries" finds "country"); never a mere prefix. '
                '`"exact phrase"` matches those words in that order as written; `прав*` '
                "matches words that start with `прав`. Other punctuation is ignored. Every "
                "item must match the title, excerpt or body of one translation (the title or "
                "excerpt, for a restricted article). "
                f"At most {service.MAX_WORDS} words."
            ),
            examples=["Північна Корея", '"Північна Корея" ракет*'],
        ),
    ],
    filters: ListingFilterDep,
    signer: SignerDep,
    cursor: CursorParam = None,
    limit: LimitParam = DEFAULT_LIMIT,
    fields: FieldsParam = None,
    include: IncludeParam = None,
) -> Response:
    """Public articles matching `q`, best first: title matches above excerpt matches above
    body-only matches, then newest first; keyset-paginated. Items are feed items in the
    reader's language plus their `rank` and a `snippet` with the matches marked."""
    selected = list_item_fields(fields, include, also=HIT_FIELDS)
    depends_on(request, filters.depends)

    # In a worker thread, within SEARCH_TIME_BUDGET_MS, stopped if the client goes away.
    def respond(stop: Stop) -> Response:
        with analysis.query_languages(settings.site_languages):  # each language's word forms
            page = service.search(
                session,
                make_locale(settings, lang),
                q,
                filters.where,
                cursor=cursor,
                limit=limit,
                scope=filters.scope,
                signer=signer,
                with_body="body" in selected,
                with_snippet="snippet" in selected,
                budget_ms=settings.search_time_budget_ms,
                stop=stop,
            )
        meta = PageMeta(next_cursor=page.next_cursor, limit=limit)
        return page_response(
            request,
            SearchResults(data=[], meta=meta),
            [hit.json(selected) for hit in page.items],
            lang=lang,
            sparse=fields is not None,
            next_cursor=meta.next_cursor,
        )

    return await until_disconnected(request, respond)
