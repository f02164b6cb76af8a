"""Webhook subscriptions and deliveries on the wire."""

import uuid
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from app.core.schemas import InputModel, Lang, Moment, PageMeta, Slug, Url
from app.models import DeliveryState, SubscriptionStatus

EventType = Literal[
    "article.published",
    "article.updated",
    "article.unpublished",
    "article.deleted",
    "page.published",
    "page.updated",
    "page.unpublished",
    "page.deleted",
]
Author = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class WebhookFilters(InputModel):
    """Each list given narrows the events to articles matching any of its values."""

    languages: list[Lang] = Field(
        default=[], max_length=20, description="Articles that exist in one of these languages."
    )
    tags: list[Slug] = Field(
        default=[], max_length=50, description="Articles with one of these tags."
    )
    sections: list[Slug] = Field(
        default=[],
        max_length=50,
        description="Articles whose section (today: their first tag) is one of these.",
    )
    authors: list[Author] = Field(
        default=[],
        max_length=50,
        description="Articles by one of these authors, once articles carry authors; until "
        "then a subscription with this filter receives no article events.",
    )


class WebhookCreate(InputModel):
    url: Url = Field(description="Where to POST events: http or https, a public address.")
    events: list[EventType] = Field(
        default=[],
        max_length=8,
        description="Event types to send; empty or omitted means all of them.",
    )
    filters: WebhookFilters = Field(default_factory=WebhookFilters)
    description: Annotated[str, StringConstraints(max_length=500)] = ""


class WebhookRead(BaseModel):
    id: int
    url: str
    description: str
    events: list[str]
    filters: WebhookFilters
    status: SubscriptionStatus = Field(
        description="`failing` once a delivery ran out of retries; events are still sent, "
        "and the next success makes it `active` again."
    )
    failing_since: Moment | None
    created_at: Moment


class WebhookCreated(WebhookRead):
    secret: str = Field(
        description="The signing secret (`whsec_` + base64), shown only now: verify each "
        "delivery's `webhook-signature` with it (Standard Webhooks)."
    )


class WebhookPage(BaseModel):
    data: list[WebhookRead]
    meta: PageMeta


class AttemptRead(BaseModel):
    attempted_at: Moment
    status_code: int | None = Field(description="The receiver's status; null if none came.")
    duration_ms: int
    error: str | None


class DeliveryRead(BaseModel):
    id: int
    message_id: str = Field(description="The `webhook-id` header: the same on every retry.")
    event_type: str
    article_id: uuid.UUID | None
    state: DeliveryState
    next_attempt_at: Moment | None = Field(description="When the next try is due, if any.")
    created_at: Moment
    finished_at: Moment | None
    attempts: list[AttemptRead]


class DeliveryPage(BaseModel):
    data: list[DeliveryRead]
    meta: PageMeta
