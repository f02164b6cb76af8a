"""Sparse responses: `fields=` picks the fields of list items, `include=` adds heavy ones."""

from collections.abc import Iterable, Sequence
from typing import Annotated, Literal

from fastapi import Query

from app.core.errors import BadRequest, FieldError

# A `fields=` page answers with this media type: the same page, each item holding only the
# named fields, so its schema marks none required where application/json's full items do.
SPARSE_MEDIA_TYPE = "application/vnd.dopys.sparse+json"

FieldsParam = Annotated[
    str | None,
    Query(
        max_length=1000,
        description="A projection: comma-separated item fields to return (e.g. "
        "`id,title,published_at`), answered as `application/vnd.dopys.sparse+json` (the same "
        "page, items holding only those fields); all fields, as `application/json`, when "
        "omitted. An unknown name is a 400 that names it.",
        examples=["id,title,published_at"],
    ),
]
IncludeParam = Annotated[
    Literal["body"] | None,
    Query(description="`body` adds each item's full HTML body (never sent in lists otherwise)."),
]
# The feeds of articles and pages, and sync (what a front end builds article pages from),
# can also carry each item's schema.org data: opt-in, so that lists stay small.
ListIncludeParam = Annotated[
    Literal["body", "structured_data", "body,structured_data"] | None,
    Query(
        description="`body` adds each item's full HTML body, `structured_data` its schema.org "
        "data (as on the article page), `body,structured_data` both; lists carry neither "
        "otherwise."
    ),
]


def pick_fields(
    raw: str | None, known: Sequence[str], *, default: Iterable[str], extra: Iterable[str] = ()
) -> set[str]:
    """The item fields to send: those named in `raw` (all of `default` when None) plus
    `extra` (what `include=` asked for). Names outside `known` are a 400."""
    if raw is None:
        return {*default, *extra}
    names = list(dict.fromkeys(n.strip() for n in raw.split(",") if n.strip()))
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        listed = ", ".join(f"'{n}'" for n in unknown) or "none"
        raise BadRequest(
            f"Unknown fields: {listed}. Known fields: {', '.join(known)}.",
            errors=[FieldError(field="fields", message=f"Unknown field '{n}'.") for n in unknown]
            or [FieldError(field="fields", message="Name at least one field.")],
        )
    return {*names, *extra}
