"""Write rules every path that stores articles follows: the editor API one article at a time,
imports a batch at a time. Kept here once so the two cannot drift apart."""

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.articles import repository as repo
from app.articles.schemas import TranslationCreate, TranslationIn
from app.core.errors import Conflict, FieldError
from app.core.html import sanitize_html, sanitized_to_plain_text
from app.core.slugs import slugify_title, suffix_base, with_suffix
from app.models import ArticleStatus, RemovalReason

EXCERPT_CHARS = 300
WORDS_PER_MINUTE = 200


def clean_body(html: str) -> str:
    """What is stored is safe to render: the one sanitizer every write goes through."""
    return sanitize_html(html)


def excerpt_for(excerpt: str, clean_html: str, *, restricted: bool = False) -> str:
    """The editor's excerpt, else the start of the body's plain text; for a restricted
    article nothing (its body is not public, so neither is the start of it)."""
    if excerpt or restricted:
        return excerpt
    # The start of the body is enough (cut where a tag begins); all of it only if too short.
    cut = clean_html.find("<", EXCERPT_CHARS * 4)
    text = sanitized_to_plain_text(clean_html[:cut]) if cut > 0 else ""
    if len(text) <= EXCERPT_CHARS:
        text = sanitized_to_plain_text(clean_html)
    if len(text) <= EXCERPT_CHARS:
        return text
    return text[:EXCERPT_CHARS].rsplit(" ", 1)[0] + "…"


# Per-translation fields stored as given (cover image text, SEO), by column name.
TRANSLATION_EXTRAS = (
    "cover_alt",
    "cover_caption",
    "cover_credit",
    "meta_title",
    "meta_description",
    "og_image",
)


def translation_extras(data: TranslationIn) -> dict[str, str | None]:
    return {name: getattr(data, name) for name in TRANSLATION_EXTRAS}


def reading_time_minutes(clean_html: str) -> int:
    """Words of the body's text at 200 a minute, rounded up: at least 1 for a body with
    any words, 0 for an empty one."""
    words = len(sanitized_to_plain_text(clean_html).split())
    return -(-words // WORDS_PER_MINUTE)


def excerpt_on_restriction(excerpt: str, clean_html: str, *, restricted: bool) -> str:
    """A translation's excerpt once its article's visibility changes: one made from the
    body goes when the article becomes restricted, and comes back when it is public again;
    an editor's own excerpt stays."""
    made = excerpt_for("", clean_html)
    if restricted and excerpt == made:
        return ""
    if not restricted and not excerpt:
        return made
    return excerpt


def published_at_for(
    status: ArticleStatus, published_at: datetime | None, now: datetime
) -> datetime | None:
    """Publishing without a time publishes now."""
    if status == ArticleStatus.PUBLISHED and published_at is None:
        return now
    return published_at


def removal_reason(status: ArticleStatus) -> RemovalReason:
    """Why an article that was public no longer is: what its tombstone tells sync clients."""
    if status == ArticleStatus.ARCHIVED:
        return RemovalReason.ARCHIVED
    if status == ArticleStatus.PUBLISHED:
        return RemovalReason.SCHEDULED  # moved back into the future
    return RemovalReason.UNPUBLISHED


def change_marks(now: datetime, version: int, change_seq: int) -> dict[str, Any]:
    """Columns every change sets: new updated_at, the version (ETag), the next place in the
    change log, and no import hash (the article no longer matches any import line)."""
    return {"updated_at": now, "version": version, "change_seq": change_seq, "import_hash": None}


def kept_slug(wanted: str | None, title: str, existing: tuple[str, str] | None) -> str | None:
    """Replacing a translation keeps its slug unless a new one is given or the title changed.
    `existing` is the stored (title, slug)."""
    if wanted is not None or existing is None:
        return wanted
    return existing[1] if existing[0] == title else None


def translation_errors(
    original_lang: str, translations: Sequence[TranslationCreate]
) -> list[FieldError]:
    errors: list[FieldError] = []
    seen: set[str] = set()
    for i, translation in enumerate(translations):
        if translation.lang in seen:
            errors.append(
                FieldError(
                    field=f"translations[{i}].lang",
                    message=f"A second '{translation.lang}' translation.",
                )
            )
        seen.add(translation.lang)
    if original_lang not in seen:
        errors.append(
            FieldError(
                field="original_lang",
                message="There must be a translation in the original language.",
            )
        )
    return errors


def duplicate_tags_error(
    slugs: Sequence[str], field: str = "tags", what: str = "tag"
) -> FieldError | None:
    if len(set(slugs)) != len(slugs):
        return FieldError(
            field=field, message=f"A{'n' if what[0] in 'aeiou' else ''} {what} is listed twice."
        )
    return None


def bio_errors(bios: Iterable[str], names: Iterable[str], field: str = "bios") -> list[FieldError]:
    """An author's bio in a language needs a name in it too (they share a row)."""
    named = set(names)
    return [
        FieldError(field=f"{field}.{lang}", message="A bio needs a name in the same language.")
        for lang in sorted(bios)
        if lang not in named
    ]


def via_errors(vias: Sequence[int | None]) -> list[FieldError]:
    """`via` of each citation: it must point at an earlier one."""
    return [
        FieldError(field=f"citations[{i}].via", message="Must point at an earlier citation.")
        for i, via in enumerate(vias)
        if via is not None and via >= i
    ]


SlugKey = tuple[str, str]  # (lang, slug)


class SlugBook:
    """Slug claims within one unit of work. Owners come from the database (in one query per
    `prefetch`, else one per slug) and from the claims made so far, so a batch of articles
    never hands one slug out twice. A slug the editor gives must be free (409 otherwise);
    a generated one is made free with a `-N` suffix."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._stored: dict[SlugKey, uuid.UUID | None] = {}
        self._claims: dict[SlugKey, uuid.UUID] = {}

    def prefetch(self, keys: Iterable[SlugKey]) -> None:
        missing = {key for key in keys if key not in self._stored}
        if missing:
            found = repo.slug_owners(self._session, missing)
            for key in missing:
                self._stored[key] = found.get(key)

    def owner(self, lang: str, slug: str) -> uuid.UUID | None:
        key = (lang, slug)
        if key in self._claims:
            return self._claims[key]
        if key not in self._stored:
            self._stored[key] = repo.slug_owner(self._session, lang, slug)
        return self._stored[key]

    def claim(
        self,
        lang: str,
        wanted: str | None,
        title: str,
        article_id: uuid.UUID,
        *,
        suffix_taken: bool = False,
    ) -> str:
        """`suffix_taken`: a wanted slug another article holds is suffixed like a generated
        one (imports of other systems' exports, whose slugs are suggestions), not a 409."""
        if wanted is not None:
            owner = self.owner(lang, wanted)
            if owner is not None and owner != article_id:
                if not suffix_taken:
                    raise Conflict(
                        f"The slug '{wanted}' is already used by another '{lang}' article."
                    )
            else:
                return self._take(lang, wanted, article_id)
        stem = wanted if wanted is not None else slugify_title(title)
        if self.owner(lang, stem) in (None, article_id):
            return self._take(lang, stem, article_id)
        base = suffix_base(stem)
        taken = repo.taken_slugs(self._session, lang, base, exclude=article_id)
        taken.update(
            slug
            for (claim_lang, slug), owner in self._claims.items()
            if claim_lang == lang and owner != article_id and slug.startswith(base)
        )
        n = 2
        while with_suffix(stem, n) in taken:
            n += 1
        return self._take(lang, with_suffix(stem, n), article_id)

    def release(self, article_id: uuid.UUID) -> None:
        """Forget the claims of an article that will not be written after all."""
        for key in [k for k, owner in self._claims.items() if owner == article_id]:
            del self._claims[key]

    def _take(self, lang: str, slug: str, article_id: uuid.UUID) -> str:
        self._claims[(lang, slug)] = article_id
        return slug
