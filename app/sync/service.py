"""Delta sync: everything public on a first call, then only what changed since the token.

The change log is `articles.change_seq` plus `article_tombstones`, numbered by the
`sync_state` counter whose row lock hands out numbers in commit order (app.models.sync).
A sync reads the counter first (`upto`): every change at or below it is committed, so
walking the log up to it in (seq, id) order never skips one, even while writers work.

A token is a position, not a session (no server state, so it survives restarts), signed
by the server (app.core.tokens): an altered one is a 400, and so is a field out of range.

- `seq`/`after_id`: the log has been delivered up to here.
- `since`/`started`: articles can also become public by the clock (a scheduled go-live,
  no write). Each round first delivers those that went live in (since, started]; the next
  round's `since` is this round's start, so a go-live during a round is caught by the next.
  Whether an article is public is always judged by the server's clock (`now`), never by
  a time the token holds.
  `went_live` is that walk's own position.
- `floor`: a first sync skips tombstones older than itself: the client never held those.
"""

import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.articles import fragments
from app.articles.fragments import StoredItem
from app.articles.rendering import Locale
from app.articles.repository import current_change_seq
from app.core.errors import BadRequest
from app.core.pagination import (
    cursor_count,
    cursor_moment,
    decode_cursor,
    encode_cursor,
    scope_of,
)
from app.core.tokens import TokenSigner
from app.sync import repository as repo
from app.sync.schemas import Removal, SyncMeta, SyncPage

TOKEN_SCOPE = scope_of(kind="sync")
_FIELDS = 6


@dataclass(frozen=True)
class Position:
    seq: int
    after_id: uuid.UUID | None
    since: datetime | None
    started: datetime | None
    floor: int
    went_live: tuple[datetime, uuid.UUID] | bool | None  # True: not started; None: done

    @classmethod
    def first(cls, now: datetime, upto: int) -> "Position":
        return cls(0, None, None, now, floor=upto, went_live=None)

    def next_round(self, upto: int) -> "Position":
        return Position(upto, None, self.started, None, floor=0, went_live=True)

    def encode(self, signer: TokenSigner) -> str:
        went_live: Any = self.went_live
        if isinstance(went_live, tuple):
            went_live = [went_live[0].isoformat(), str(went_live[1])]
        return encode_cursor(
            signer,
            TOKEN_SCOPE,
            [
                self.seq,
                str(self.after_id) if self.after_id else None,
                self.since.isoformat() if self.since else None,
                self.started.isoformat() if self.started else None,
                self.floor,
                went_live,
            ],
        )

    @classmethod
    def decode(cls, signer: TokenSigner, token: str) -> "Position":
        """The position a token of ours holds, every field range-checked: anything else
        (an altered or forged token, a field out of range) is a 400."""
        fields = decode_cursor(signer, token, TOKEN_SCOPE, _FIELDS, error=invalid_token())
        seq, after_id, since, started, floor, went_live = fields
        try:
            if went_live is not True and went_live is not None:
                if not isinstance(went_live, list) or len(went_live) != 2:
                    raise ValueError(went_live)
                went_live = (cursor_moment(went_live[0]), uuid.UUID(str(went_live[1])))
            position = cls(
                cursor_count(seq),
                uuid.UUID(str(after_id)) if after_id is not None else None,
                cursor_moment(since) if since is not None else None,
                cursor_moment(started) if started is not None else None,
                cursor_count(floor),
                went_live,
            )
        except ValueError as exc:
            raise invalid_token() from exc
        return position


def invalid_token() -> BadRequest:
    return BadRequest("The sync token is malformed; sync again without one.")


@dataclass(frozen=True)
class SyncResult:
    shell: SyncPage  # the page with its `data` left empty
    items: list[StoredItem]


@dataclass(frozen=True)
class _Event:
    seq: int
    id: uuid.UUID
    removal: Removal | None


def sync_page(
    session: Session,
    locale: Locale,
    token: str | None,
    *,
    limit: int,
    with_body: bool,
    signer: TokenSigner,
) -> SyncResult:
    upto = current_change_seq(session)  # first: everything at or below is committed
    now = locale.now
    position = Position.decode(signer, token) if token else Position.first(now, upto)
    if position.started is None:
        position = replace(position, started=now)  # a new round begins
    ids: list[uuid.UUID] = []
    if position.went_live is not None and position.since is not None:
        assert position.started is not None
        after = position.went_live if isinstance(position.went_live, tuple) else None
        rows = repo.went_live(
            session,
            now=now,
            since=position.since,
            until=position.started,
            max_seq=position.seq,
            after=after,
            limit=limit + 1,
        )
        if len(rows) > limit:
            rows = rows[:limit]
            last = rows[-1]
            resume = replace(position, went_live=(last.published_at, last.id))
            ids = [r.id for r in rows]
            return _page(session, locale, signer, ids, [], resume, True, limit, with_body)
        ids = [row.id for row in rows]
    position = replace(position, went_live=None)
    events, more = _log(session, position, now=now, upto=upto, room=limit - len(ids))
    ids += [e.id for e in events if e.removal is None]
    removed = [e.removal for e in events if e.removal is not None]
    if more:
        if events:
            position = replace(position, seq=events[-1].seq, after_id=events[-1].id)
        return _page(session, locale, signer, ids, removed, position, True, limit, with_body)
    done = position.next_round(upto)
    return _page(session, locale, signer, ids, removed, done, False, limit, with_body)


def _log(
    session: Session, position: Position, *, now: datetime, upto: int, room: int
) -> tuple[list[_Event], bool]:
    """The next `room` changes after `position` in log order, and whether more wait."""
    after = (position.seq, position.after_id)
    changed = repo.changed_public(session, now=now, after=after, upto=upto, limit=room + 1)
    removed = repo.removals(session, after=after, upto=upto, floor=position.floor, limit=room + 1)
    events = [_Event(r.seq, r.id, None) for r in changed] + [
        _Event(r.seq, r.id, Removal(id=r.id, reason=r.reason, removed_at=r.deleted_at))
        for r in removed
    ]
    events.sort(key=lambda e: (e.seq, e.id))
    return events[:room], len(events) > room


def _page(
    session: Session,
    locale: Locale,
    signer: TokenSigner,
    ids: list[uuid.UUID],
    removed: list[Removal],
    position: Position,
    more: bool,
    limit: int,
    with_body: bool,
) -> SyncResult:
    meta = SyncMeta(next_sync_token=position.encode(signer), has_more=more, limit=limit)
    return SyncResult(
        shell=SyncPage(data=[], deleted=removed, meta=meta),
        items=fragments.listed_items(session, ids, locale.lang, with_body=with_body),
    )
