"""Webhook subscriptions and their deliveries (admin-scope API key)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response, status

from app.core.deps import SettingsDep, WriteSessionDep, require_admin_key
from app.core.errors import DATABASE_STATUSES, WRITE_STATUSES, problem_responses
from app.core.pagination import DEFAULT_LIMIT, CursorParam, LimitParam, SignerDep
from app.webhooks import service
from app.webhooks.schemas import (
    DeliveryPage,
    DeliveryRead,
    WebhookCreate,
    WebhookCreated,
    WebhookPage,
    WebhookRead,
)

router = APIRouter(
    prefix="/v1/webhooks",
    tags=["webhooks"],
    dependencies=[Depends(require_admin_key)],
    responses=problem_responses(401, 403, 422, *DATABASE_STATUSES),
)

WebhookId = Annotated[int, Path(ge=1, le=2**31 - 1)]
DeliveryId = Annotated[int, Path(ge=1, le=2**63 - 1)]


def _private(response: Response) -> None:
    response.headers["Cache-Control"] = "private, no-store"


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(*WRITE_STATUSES),
)
def create_webhook(
    data: WebhookCreate, response: Response, session: WriteSessionDep, settings: SettingsDep
) -> WebhookCreated:
    """Subscribe a URL to events. The signing secret is in this response only."""
    created = service.create(session, settings, data)
    response.headers["Location"] = f"/v1/webhooks/{created.id}"
    _private(response)
    return created


@router.get("", responses=problem_responses(400))
def list_webhooks(
    response: Response,
    session: WriteSessionDep,
    signer: SignerDep,
    cursor: CursorParam = None,
    limit: LimitParam = DEFAULT_LIMIT,
) -> WebhookPage:
    """Every subscription (secrets are shown only when made), oldest first."""
    _private(response)
    return service.list_page(session, cursor=cursor, limit=limit, signer=signer)


@router.get("/{webhook_id}", responses=problem_responses(404))
def get_webhook(webhook_id: WebhookId, response: Response, session: WriteSessionDep) -> WebhookRead:
    """One subscription: target, events, filters and status (its secret is never shown)."""
    _private(response)
    return service.read(service.get(session, webhook_id))


@router.delete(
    "/{webhook_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(*WRITE_STATUSES, 404),
)
def delete_webhook(webhook_id: WebhookId, session: WriteSessionDep) -> None:
    """Unsubscribe; deliveries not yet sent are dropped."""
    service.remove(session, webhook_id)


@router.post(
    "/{webhook_id}/test",
    status_code=status.HTTP_202_ACCEPTED,
    responses=problem_responses(*WRITE_STATUSES, 404),
)
def test_webhook(
    webhook_id: WebhookId, response: Response, session: WriteSessionDep
) -> DeliveryRead:
    """Queue a `webhook.ping` message, sent at once (see its deliveries for the outcome)."""
    _private(response)
    return service.ping(session, webhook_id)


@router.get("/{webhook_id}/deliveries", responses=problem_responses(400, 404))
def list_deliveries(
    webhook_id: WebhookId,
    response: Response,
    session: WriteSessionDep,
    signer: SignerDep,
    cursor: CursorParam = None,
    limit: LimitParam = DEFAULT_LIMIT,
) -> DeliveryPage:
    """Deliveries newest first, each with its attempts (status code, duration, error) and
    when the next try is due."""
    _private(response)
    return service.deliveries(session, webhook_id, cursor=cursor, limit=limit, signer=signer)


@router.post(
    "/{webhook_id}/deliveries/{delivery_id}/redeliver",
    status_code=status.HTTP_202_ACCEPTED,
    responses=problem_responses(*WRITE_STATUSES, 404, 409),
)
def redeliver(
    webhook_id: WebhookId, delivery_id: DeliveryId, response: Response, session: WriteSessionDep
) -> DeliveryRead:
    """Send a delivery again, now, with the same `webhook-id` and body (409 if its article
    is no longer public, or it is being sent)."""
    _private(response)
    return service.redeliver(session, webhook_id, delivery_id)
