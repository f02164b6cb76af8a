"""CDN purges: the recent ones, and sending one again (admin-scope API key)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response, status

from app.cdn import service
from app.cdn.schemas import PurgePage, PurgeRead
from app.core.deps import WriteSessionDep, require_admin_key
from app.core.errors import DATABASE_STATUSES, WRITE_STATUSES, problem_responses
from app.core.pagination import DEFAULT_LIMIT, CursorParam, LimitParam, SignerDep

router = APIRouter(
    prefix="/v1/cdn/purges",
    tags=["cdn"],
    dependencies=[Depends(require_admin_key)],
    responses=problem_responses(401, 403, 422, *DATABASE_STATUSES),
)

PurgeId = Annotated[int, Path(ge=1, le=2**63 - 1)]


@router.get("", responses=problem_responses(400))
def list_purges(
    response: Response,
    session: WriteSessionDep,
    signer: SignerDep,
    cursor: CursorParam = None,
    limit: LimitParam = DEFAULT_LIMIT,
) -> PurgePage:
    """Purges newest first: the keys, what queued them, state, tries, the CDN's last answer."""
    response.headers["Cache-Control"] = "private, no-store"
    return service.recent(session, cursor=cursor, limit=limit, signer=signer)


@router.post(
    "/{purge_id}/resend",
    status_code=status.HTTP_202_ACCEPTED,
    responses=problem_responses(*WRITE_STATUSES, 404),
)
def resend_purge(purge_id: PurgeId, response: Response, session: WriteSessionDep) -> PurgeRead:
    """Queue the purge's keys again, as a new purge sent at once."""
    response.headers["Cache-Control"] = "private, no-store"
    return service.resend(session, purge_id)
