"""plain text fields: clean stored titles, excerpts and names as writes now do

Revision ID: cc8eaaf3a950
Revises: 7c1e5a9d2b40
Create Date: 2026-11-30 14:20:00.000000

Writes now store titles, excerpts, tag and source names and source kinds as plain text
(markup stripped, entities decoded once, no markup left that decoding made) and refuse
control characters that XML cannot carry (the RSS and Atom feeds answered 500 on them).
This brings rows stored before into the same shape: text fields cleaned, forbidden
characters dropped from every other text column (bodies, URLs, external ids). An article
whose text changed gets a new place in the change log, so sync clients fetch it again, and
the data version moves, so response caches drop what they hold.

The cleaning rules are copied here, frozen, so that later changes to the app do not change
what this migration did. A text that held nothing but markup keeps its characters, escaped
(`<b></b>` becomes the text `&lt;b&gt;&lt;/b&gt;`), rather than becoming empty.

Downgrade keeps the cleaned data (the old values are not kept anywhere): it changes no
schema, so there is nothing to undo.
"""

import html
import re
from collections.abc import Callable, Sequence
from typing import Any

import nh3
import sqlalchemy as sa
from alembic import op

revision: str = "cc8eaaf3a950"
down_revision: str | None = "7c1e5a9d2b40"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_MARKUP_START = re.compile(r"<[a-zA-Z/!?]")
_STRIPPER = nh3.Cleaner(tags=set())
PAGE = 1000


def _drop_forbidden(text: str) -> str:
    return _FORBIDDEN.sub("", text)


def _inert(text: str) -> str:
    for _ in range(8):
        if not _MARKUP_START.search(text):
            return text
        again = html.unescape(_STRIPPER.clean(text.replace("&", "&amp;")))
        if again == text:
            return text
        text = again
    return _MARKUP_START.sub(lambda m: "< " + m.group()[1:], text)


def _plain(value: str) -> str:
    value = _drop_forbidden(value)
    if "<" not in value and "&" not in value:
        return value.strip()
    text = _inert(_drop_forbidden(html.unescape(_STRIPPER.clean(value)))).strip()
    if not text and value.strip():
        return html.escape(value.strip(), quote=False)
    return text


def _clean_table(
    table: str, key: Sequence[str], columns: dict[str, Callable[[str], str]]
) -> list[tuple[Any, ...]]:
    """Rewrite the rows of `table` whose `columns` change when cleaned; their keys."""
    conn = op.get_bind()
    names = [*key, *columns]
    select = f"SELECT {', '.join(names)} FROM {table} ORDER BY {', '.join(key)}"
    where = " AND ".join(f"{k} = :{k}" for k in key)
    update = f"UPDATE {table} SET {', '.join(f'{c} = :{c}' for c in columns)} WHERE {where}"
    changed: list[tuple[Any, ...]] = []
    offset = 0
    while True:
        rows = conn.execute(sa.text(f"{select} LIMIT {PAGE} OFFSET {offset}")).all()
        offset += len(rows)
        updates = []
        for row in rows:
            values = dict(zip(names, row, strict=True))
            cleaned = {
                c: None if values[c] is None else clean(values[c]) for c, clean in columns.items()
            }
            if any(cleaned[c] != values[c] for c in columns):
                updates.append({**{k: values[k] for k in key}, **cleaned})
                changed.append(tuple(values[k] for k in key))
        if updates:
            conn.execute(sa.text(update), updates)
        if len(rows) < PAGE:
            return changed


def upgrade() -> None:
    conn = op.get_bind()
    translations = _clean_table(
        "article_translations",
        ["id"],
        {"title": _plain, "excerpt": _plain, "body": _drop_forbidden},
    )
    articles = _clean_table(
        "articles", ["id"], {"external_id": _drop_forbidden, "cover_image_url": _drop_forbidden}
    )
    others = [
        _clean_table("tag_names", ["tag_id", "lang"], {"name": _plain}),
        _clean_table("source_names", ["source_id", "lang"], {"name": _plain}),
        _clean_table(
            "sources", ["id"], {"kind": _plain, "homepage_url": _drop_forbidden}
        ),
        _clean_table("citations", ["id"], {"url": _drop_forbidden}),
    ]
    article_ids = {row[0] for row in articles}
    for (translation_id,) in translations:
        owner = conn.execute(
            sa.text("SELECT article_id FROM article_translations WHERE id = :id"),
            {"id": translation_id},
        ).scalar_one()
        article_ids.add(owner)
    if not article_ids and not any(others):
        return
    # Each changed article a new change number (sync clients fetch it again), one version
    # more (its ETag), no import hash (a re-import rewrites it); the counter moves last.
    seq = int(conn.execute(sa.text("SELECT seq FROM sync_state WHERE id = 1")).scalar_one())
    for article_id in sorted(article_ids, key=str):
        seq += 1
        conn.execute(
            sa.text(
                "UPDATE articles SET change_seq = :seq, version = version + 1, "
                "import_hash = NULL WHERE id = :id"
            ),
            {"seq": seq, "id": article_id},
        )
    conn.execute(
        sa.text("UPDATE sync_state SET seq = :seq, changed_at = CURRENT_TIMESTAMP WHERE id = 1"),
        {"seq": seq + 1},
    )


def downgrade() -> None:
    pass
