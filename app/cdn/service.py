"""CDN purges: what each committed change purges, and sending it to the configured CDN.

`dispatch` reads the change journal past the cursor, and the scheduled go-lives since the
cursor's time (public data changes then with no write), and queues their keys
(app.core.surrogate_keys) as purges of at most CDN_PURGE_BATCH keys, moving the cursor in
the same transaction: under the dispatch lock, so each change is queued once however many
processes run. The purges are then claimed, leased and sent like webhook deliveries
(app.webhooks), through the same outbound guard, and retried on CDN_PURGE_RETRY_SCHEDULE.
"""

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy.orm import Session, sessionmaker

from app.cdn import repository as repo
from app.cdn.schemas import PurgePage, PurgeRead
from app.core import changes
from app.core import surrogate_keys as cdn_keys
from app.core.config import Settings
from app.core.db import unit_of_work
from app.core.errors import NotFound
from app.core.pagination import encode_cursor, scope_of
from app.core.schemas import PageMeta
from app.core.tokens import TokenSigner
from app.models import CdnPurge, DeliveryState, utcnow
from app.webhooks import delivery
from app.webhooks.service import backoff, cursor_id

if TYPE_CHECKING:
    from app.core import outbound

USER_AGENT = "Dopys-Purge/1.0"
JOURNAL_ROWS = 1_000  # read a round
LEASE_MARGIN_SECONDS = 30.0
MAX_RESPONSE_BYTES = 64 * 1024
ALLOW_HINT = "(set CDN_PURGE_ALLOW_PRIVATE=true to allow these)."
_BASES = {"fastly": "https://api.fastly.com", "cloudflare": "https://api.cloudflare.com/client/v4"}


def allow_private(settings: Settings) -> bool:
    """Purge targets are the operator's settings, not an API client's choice; still, a
    Fastly or Cloudflare API is never on a private address, so only Varnish (usually on
    the same host or network) is let through by default."""
    if settings.cdn_purge_allow_private is not None:
        return settings.cdn_purge_allow_private
    return settings.cdn_purge == "varnish"


def make_guard(settings: Settings) -> "outbound.Guard":
    return delivery.make_guard(allow_private(settings), 4, USER_AGENT)


# ---- dispatch: changes into purges ----------------------------------------------------


def dispatch(session: Session, settings: Settings, now: datetime) -> int:
    """Queue the purges of the changes since the cursor; the number queued."""
    if not repo.take_lock(session):
        return 0
    cursor = repo.cursor(session)
    if cursor is None:
        repo.start_cursor(session, now)
        return 0
    rows = repo.journal_from(session, cursor.seq, JOURNAL_ROWS + 1)
    changed: set[str] = set()
    if rows and rows[0][0] == cursor.seq:
        rows = rows[1:]  # the last row read last time
    elif rows and cursor.seq > 0:
        changed.add(changes.EVERYTHING)  # rows pruned before they were read: purge all
    rows = rows[:JOURNAL_ROWS]
    for _, keys in rows:
        changed.update(changes.decode(keys))
    live = repo.went_live(session, cursor.live_at, now)
    changed |= live
    first, last = (rows[0][0], rows[-1][0]) if rows else (None, None)
    reason = "writes" if rows else "go-live"
    purges = (
        [
            _purge_row(batch, reason, now, first, last)
            for batch in _batches(cdn_keys.purge_keys(changed), settings.cdn_purge_batch)
        ]
        if changed
        else []
    )
    repo.add_purges(session, purges)
    if rows:
        cursor.seq = rows[-1][0]
    cursor.live_at = now
    return len(purges)


def _batches(keys: Sequence[str], size: int) -> list[list[str]]:
    return [list(keys[i : i + size]) for i in range(0, len(keys), size)]


def _purge_row(
    keys: Sequence[str], reason: str, now: datetime, first: int | None, last: int | None
) -> dict[str, Any]:
    return {
        "keys": " ".join(keys),
        "reason": reason,
        "first_seq": first,
        "last_seq": last,
        "state": DeliveryState.PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


# ---- sending ---------------------------------------------------------------------------


def lease_seconds(settings: Settings) -> float:
    return settings.cdn_purge_timeout_seconds * 2 + LEASE_MARGIN_SECONDS


def claim(sessions: sessionmaker[Session], settings: Settings, limit: int) -> list[repo.Claimed]:
    now = utcnow()
    lease = now + timedelta(seconds=lease_seconds(settings))
    with unit_of_work(sessions) as session:
        return repo.claim(session, now, lease, limit)


def request_for(
    settings: Settings, keys: list[str]
) -> tuple[str, str, bytes, list[tuple[str, str]]]:
    """(method, URL, body, headers) of one purge, as each CDN documents it: Fastly's
    purge by surrogate keys, Cloudflare's purge by cache tags, a Varnish xkey purge."""
    token = settings.cdn_purge_token.get_secret_value() if settings.cdn_purge_token else ""
    base = (settings.cdn_purge_url or _BASES.get(settings.cdn_purge, "")).rstrip("/")
    service = settings.cdn_service_id or ""
    if settings.cdn_purge == "fastly":
        headers = [
            ("fastly-key", token),
            ("surrogate-key", " ".join(keys)),
            ("accept", "application/json"),
        ]
        return "POST", f"{base}/service/{service}/purge", b"", headers
    if settings.cdn_purge == "cloudflare":
        body = orjson.dumps({"tags": keys})
        headers = [("authorization", f"Bearer {token}"), ("content-type", "application/json")]
        return "POST", f"{base}/zones/{service}/purge_cache", body, headers
    return settings.cdn_purge_method, base, b"", [(settings.cdn_purge_key_header, " ".join(keys))]


def send(guard: "outbound.Guard", settings: Settings, row: repo.Claimed) -> delivery.Outcome:
    method, url, body, headers = request_for(settings, row.keys.split())
    return delivery.exchange(
        guard,
        method,
        url,
        body,
        headers,
        deadline_seconds=settings.cdn_purge_timeout_seconds,
        max_response_bytes=MAX_RESPONSE_BYTES,
        allow_hint=ALLOW_HINT,
    )


def record(
    sessions: sessionmaker[Session],
    settings: Settings,
    results: Sequence[tuple[repo.Claimed, delivery.Outcome]],
) -> None:
    """Each purge done, due again after the backoff, or failed once the schedule is used up."""
    now = utcnow()
    schedule = settings.cdn_purge_retry_schedule
    states: list[dict[str, Any]] = []
    for row, outcome in results:
        tries = row.attempts + 1
        state, next_at = DeliveryState.DELIVERED, None
        if not outcome.ok and tries <= len(schedule):
            state = DeliveryState.PENDING
            next_at = now + timedelta(seconds=backoff(schedule, tries, settings))
        elif not outcome.ok:
            state = DeliveryState.FAILED
        states.append(
            {
                "id": row.id,
                "state": state,
                "attempts": tries,
                "next_attempt_at": next_at,
                "leased_until": None,
                "finished_at": None if state == DeliveryState.PENDING else now,
                "last_status": outcome.status_code,
                "last_error": outcome.error,
            }
        )
    with unit_of_work(sessions) as session:
        repo.record(session, states)


# ---- the admin API -----------------------------------------------------------------------


def read(purge: CdnPurge) -> PurgeRead:
    return PurgeRead.model_validate({**_columns(purge), "keys": purge.keys.split()})


def _columns(purge: CdnPurge) -> dict[str, Any]:
    return {name: getattr(purge, name) for name in PurgeRead.model_fields if name != "keys"}


def recent(session: Session, *, cursor: str | None, limit: int, signer: TokenSigner) -> PurgePage:
    """Newest first."""
    scope = scope_of(kind="cdn-purges")
    before = cursor_id(signer, cursor, scope)
    rows = repo.recent(session, before=before, limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return PurgePage(
        data=[read(row) for row in rows],
        meta=PageMeta(
            next_cursor=encode_cursor(signer, scope, [rows[-1].id]) if more else None,
            limit=limit,
        ),
    )


def resend(session: Session, purge_id: int) -> PurgeRead:
    """Queue the purge's keys again, as a new purge (the old one keeps its history)."""
    found = repo.get(session, purge_id)
    if found is None:
        raise NotFound(f"No purge with id {purge_id}.")
    now = utcnow()
    again = CdnPurge(
        **_purge_row(found.keys.split(), "resend", now, found.first_seq, found.last_seq)
    )
    session.add(again)
    session.flush()
    return read(again)
