"""CDN purges on the wire (admin API)."""

from typing import Literal

from pydantic import BaseModel, Field

from app.core.schemas import Moment, PageMeta
from app.models import DeliveryState


class PurgeRead(BaseModel):
    id: int
    keys: list[str] = Field(description="The keys purged, as the CDN knows them (README).")
    reason: Literal["writes", "go-live", "resend"] = Field(
        description="What queued it: committed writes, scheduled articles going live, a resend."
    )
    first_seq: int | None = Field(description="The first change number it covers, if any.")
    last_seq: int | None = Field(description="The last change number it covers, if any.")
    state: DeliveryState
    attempts: int = Field(description="Tries so far.")
    next_attempt_at: Moment | None = Field(description="When the next try is due, if any.")
    created_at: Moment
    finished_at: Moment | None
    last_status: int | None = Field(description="The CDN's status code on the last try.")
    last_error: str | None = Field(description="Why the last try failed, if it did.")


class PurgePage(BaseModel):
    data: list[PurgeRead]
    meta: PageMeta
