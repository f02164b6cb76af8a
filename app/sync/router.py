"""Delta sync for offline-capable clients."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.articles import fragments, reading
from app.core.caching import PUBLIC, public_responses
from app.core.deps import LangDep, ReadSessionDep, SettingsDep
from app.core.errors import DATABASE_STATUSES, problem_responses
from app.core.http import make_locale, page_response
from app.core.inline import public_read
from app.core.pagination import MAX_LIMIT, LimitParam, SignerDep
from app.core.sparse import FieldsParam, ListIncludeParam
from app.sync import service
from app.sync.schemas import SyncPage

router = APIRouter(
    prefix="/v1/sync",
    tags=["sync"],
    dependencies=[PUBLIC],
    responses=problem_responses(*DATABASE_STATUSES),
)


@router.get(
    "",
    response_model=SyncPage,
    responses={**public_responses(), **problem_responses(400, 422)},
)
@public_read
def sync(
    request: Request,
    session: ReadSessionDep,
    settings: SettingsDep,
    lang: LangDep,
    signer: SignerDep,
    token: Annotated[
        str | None,
        Query(
            max_length=1024,
            description="`meta.next_sync_token` of your last sync; omit to get everything.",
        ),
    ] = None,
    limit: LimitParam = MAX_LIMIT,
    fields: FieldsParam = None,
    include: ListIncludeParam = None,
) -> Response:
    """Without a token: every public article, in pages. With one: only the articles that
    changed since (created, edited, translated, gone live) and, in `deleted`, those that
    left public view (unpublished, archived, rescheduled, deleted). Follow
    `next_sync_token` while `has_more`; keep the last one for next time."""
    selected = reading.list_item_fields(fields, include)
    page = service.sync_page(
        session,
        make_locale(settings, lang),
        token,
        limit=limit,
        with_body="body" in selected,
        signer=signer,
    )
    listed = page.items
    if "structured_data" in selected:
        listed = fragments.with_structured_data(session, listed, lang)
    items = [item.json(selected) for item in listed]
    return page_response(request, page.shell, items, lang=lang, sparse=fields is not None)
