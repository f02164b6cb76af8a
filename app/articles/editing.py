"""Editor writes: create, update, translate, publish, delete. Services flush, never commit."""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.articles import repository as repo
from app.articles.rules import (
    SlugBook,
    change_marks,
    clean_body,
    duplicate_tags_error,
    excerpt_for,
    excerpt_on_restriction,
    kept_slug,
    published_at_for,
    removal_reason,
    translation_errors,
    translation_extras,
    via_errors,
)
from app.articles.schemas import (
    ArticleCreate,
    ArticleEditorRead,
    ArticleUpdate,
    CitationEditorRead,
    CitationIn,
    CoverImageEditorRead,
    CoverImageIn,
    TranslationEditorRead,
    TranslationIn,
)
from app.core import changes
from app.core.errors import Conflict, FieldError, NotFound, PreconditionFailed, ValidationFailed
from app.models import (
    Article,
    ArticleAuthor,
    ArticleStatus,
    ArticleTag,
    ArticleTranslation,
    ArticleType,
    ArticleVisibility,
    Citation,
    RemovalReason,
    utcnow,
)
from app.search.analysis import index_columns
from app.webhooks import events as webhook_events
from app.webhooks.repository import add_events

RESTRICTED = ArticleVisibility.RESTRICTED
KnownT = TypeVar("KnownT")


def editor_view(article: Article, now: datetime | None = None) -> ArticleEditorRead:
    position_of = {c.id: c.position for c in article.citations}
    return ArticleEditorRead(
        id=article.id,
        external_id=article.external_id,
        original_lang=article.original_lang,
        type=article.type,
        status=article.status,
        visibility=article.visibility,
        state=state_of(article, now or utcnow()),
        published_at=article.published_at,
        created_at=article.created_at,
        updated_at=article.updated_at,
        version=article.version,
        cover_image=cover_editor_view(article),
        canonical_url=article.canonical_url,
        tags=[link.tag.slug for link in article.tag_links],
        authors=[link.author.slug for link in article.author_links],
        featured=article.featured,
        citations=[
            CitationEditorRead(
                position=c.position,
                source=c.source.slug,
                url=c.url,
                via=position_of.get(c.via_id) if c.via_id is not None else None,
            )
            for c in article.citations
        ],
        translations=[
            TranslationEditorRead(
                lang=t.lang,
                title=t.title,
                slug=t.slug,
                excerpt=t.excerpt,
                body=t.body,
                cover_alt=t.cover_alt,
                cover_caption=t.cover_caption,
                cover_credit=t.cover_credit,
                meta_title=t.meta_title,
                meta_description=t.meta_description,
                og_image=t.og_image,
                updated_at=t.updated_at,
            )
            for t in sorted(article.translations, key=lambda t: t.lang)
        ],
    )


def cover_editor_view(article: Article) -> CoverImageEditorRead | None:
    if article.cover_url is None:
        return None
    return CoverImageEditorRead(
        url=article.cover_url, width=article.cover_width, height=article.cover_height
    )


def _set_cover(article: Article, cover: CoverImageIn | None) -> None:
    article.cover_url = cover.url if cover else None
    article.cover_width = cover.width if cover else None
    article.cover_height = cover.height if cover else None


def state_of(article: Article, now: datetime) -> str:
    if (
        article.status == ArticleStatus.PUBLISHED
        and article.published_at
        and article.published_at > now
    ):
        return "scheduled"
    return str(article.status)


def get_article(session: Session, article_id: uuid.UUID, *, for_update: bool = False) -> Article:
    article = repo.load_article(session, article_id, for_update=for_update)
    if article is None:
        raise NotFound(f"No article with id {article_id}.")
    return article


def check_version(article: Article, if_match: int | None) -> None:
    """Optimistic concurrency: refuse the write if the client read an older version."""
    if if_match is not None and if_match != article.version:
        raise PreconditionFailed(
            f"The article changed since you read it (now version {article.version}); "
            "fetch it again and reapply your change."
        )


def create_article(session: Session, data: ArticleCreate) -> Article:
    errors = translation_errors(data.original_lang, data.translations)
    if errors:
        raise ValidationFailed(f"Invalid value for: {errors[0].field}", errors=errors)
    repo.lock_change_log(session)  # before claiming slugs: see every slug committed before
    if data.external_id is not None and repo.external_id_owner(session, data.external_id):
        raise Conflict(f"An article with external_id '{data.external_id}' already exists.")
    now = utcnow()
    article = Article(
        id=uuid.uuid4(),
        external_id=data.external_id,
        original_lang=data.original_lang,
        type=data.type,
        status=data.status,
        visibility=data.visibility,
        published_at=published_at_for(data.status, data.published_at, now),
        canonical_url=data.canonical_url,
        featured=data.featured,
        created_at=now,
        updated_at=now,
        version=1,
        translations=[],
        tag_links=[],
        author_links=[],
        citations=[],
    )
    _set_cover(article, data.cover_image)
    session.add(article)
    slugs = SlugBook(session)
    for translation in data.translations:
        article.translations.append(
            _new_translation(slugs, article, translation.lang, translation, now)
        )
    _set_tags(session, article, data.tags)
    _set_authors(session, article, data.authors)
    _set_citations(session, article, data.citations)
    _touch(session, article, now, set(), bump_version=False, created=True)
    _flush(session)
    return article


def update_article(session: Session, article: Article, data: ArticleUpdate) -> Article:
    changes = data.model_dump(exclude_unset=True)
    now = utcnow()
    was_public = repo.is_public_article(article, now)
    before = changed_keys(article)
    for field in ("original_lang", "status", "external_id", "visibility", "featured"):
        if field in changes and changes[field] is None:
            raise _invalid(field, "May not be null.")
    if "external_id" in changes and changes["external_id"] != article.external_id:
        owner = repo.external_id_owner(session, changes["external_id"])
        if owner is not None and owner != article.id:
            raise Conflict(
                f"An article with external_id '{changes['external_id']}' already exists."
            )
        article.external_id = changes["external_id"]
    if "original_lang" in changes:
        if changes["original_lang"] not in {t.lang for t in article.translations}:
            raise _invalid("original_lang", "The article has no translation in that language.")
        article.original_lang = changes["original_lang"]
    if "cover_image" in data.model_fields_set:
        _set_cover(article, data.cover_image)
    if "canonical_url" in changes:
        article.canonical_url = changes["canonical_url"]
    if "featured" in changes:
        article.featured = changes["featured"]
    if "visibility" in changes and changes["visibility"] != article.visibility:
        article.visibility = changes["visibility"]
        for translation in article.translations:
            translation.excerpt = excerpt_on_restriction(
                translation.excerpt, translation.body, restricted=article.visibility == RESTRICTED
            )
    if "status" in changes or "published_at" in changes:
        status = changes.get("status", article.status)
        published_at = changes.get("published_at", article.published_at)
        article.status = status
        article.published_at = published_at_for(status, published_at, now)
    if data.tags is not None:
        _set_tags(session, article, data.tags)
    if data.authors is not None:
        _set_authors(session, article, data.authors)
    if data.citations is not None:
        _set_citations(session, article, data.citations)
    _touch(session, article, now, before, was_public=was_public)
    _flush(session)
    return article


def put_translation(session: Session, article: Article, lang: str, data: TranslationIn) -> bool:
    """Create or replace the translation in `lang`. True when it was created."""
    repo.lock_change_log(session)
    now = utcnow()
    existing = next((t for t in article.translations if t.lang == lang), None)
    slugs = SlugBook(session)
    if existing is None:
        article.translations.append(_new_translation(slugs, article, lang, data, now))
    else:
        wanted = kept_slug(data.slug, data.title, (existing.title, existing.slug))
        existing.slug = slugs.claim(lang, wanted, data.title, article.id)
        existing.title = data.title
        existing.body = clean_body(data.body)
        existing.excerpt = excerpt_for(
            data.excerpt, existing.body, restricted=article.visibility == RESTRICTED
        )
        for name, value in translation_extras(data).items():
            setattr(existing, name, value)
        existing.updated_at = now
        for name, value in index_columns(lang, data.title, existing.excerpt, existing.body).items():
            setattr(existing, name, value)
    _touch(session, article, now, set())
    _flush(session)
    return existing is None


def delete_translation(session: Session, article: Article, lang: str) -> None:
    existing = next((t for t in article.translations if t.lang == lang), None)
    if existing is None:
        raise NotFound(f"The article has no '{lang}' translation.")
    if lang == article.original_lang:
        raise Conflict(
            "This is the original-language version; set another original_lang before deleting it."
        )
    article.translations.remove(existing)
    _touch(session, article, utcnow(), set())
    _flush(session)


def publish(session: Session, article: Article, published_at: datetime | None) -> Article:
    now = utcnow()
    was_public = repo.is_public_article(article, now)
    before = changed_keys(article)
    article.status = ArticleStatus.PUBLISHED
    article.published_at = published_at or now
    _touch(session, article, now, before, was_public=was_public)
    return article


def schedule(session: Session, article: Article, published_at: datetime) -> Article:
    if published_at <= utcnow():
        raise _invalid("published_at", "A schedule must be in the future; publish instead.")
    return publish(session, article, published_at)


def unpublish(session: Session, article: Article) -> Article:
    now = utcnow()
    was_public = repo.is_public_article(article, now)
    before = changed_keys(article)
    article.status = ArticleStatus.DRAFT
    _touch(session, article, now, before, was_public=was_public)
    return article


def delete_article(session: Session, article: Article) -> None:
    now = utcnow()
    seq = repo.next_change_seq(session, changed_keys(article))
    # Sync clients may hold it only if it was ever public: that is when it has a tombstone
    # already (unpublished earlier) or is public now. A draft leaves no trace, nor does a
    # page in sync (pages are not synced; webhooks announce them as page.deleted).
    public = repo.is_public_article(article, now)
    if public or repo.has_tombstone(session, article.id):
        if article.type == ArticleType.ARTICLE:
            repo.put_tombstone(session, article.id, seq=seq, reason=RemovalReason.DELETED, at=now)
        facets = _facets(article, was_public=public)
        row = webhook_events.deletion_row(article.id, seq, now, facets, article.type)
        add_events(session, [row], [])
    session.delete(article)
    session.flush()


# ---- rules shared by the writes above -------------------------------------------------


def changed_keys(article: Article) -> set[str]:
    """What a write to `article` changes for readers (app.core.changes), judged on its
    state now: a write takes the union of this before and after it. An article that is
    neither public nor scheduled shows in no list."""
    keys = {changes.article(article.id), *(changes.slug(t.slug) for t in article.translations)}
    if article.status == ArticleStatus.PUBLISHED:
        keys.add(changes.listing_of(article.type))
        if article.published_at is not None:
            keys.add(changes.month(article.published_at))
        keys |= changes.facets(
            [link.tag.slug for link in article.tag_links],
            [citation.source.slug for citation in article.citations],
            [link.author.slug for link in article.author_links],
        )
    return keys


def _touch(
    session: Session,
    article: Article,
    now: datetime,
    shown_before: set[str],
    *,
    bump_version: bool = True,
    was_public: bool | None = None,
    created: bool = False,
) -> None:
    """Every change: new updated_at, new version (the ETag), next place in the change log
    (with what changed: `shown_before`, the article's `changed_keys` before a write that
    may change its status or facets, and those after), and the webhook events it causes.
    `was_public` (visibility before a write that may change it) keeps the tombstones that
    tell sync clients to drop an article right."""
    version = article.version + 1 if bump_version else article.version
    seq = repo.next_change_seq(session, shown_before | changed_keys(article))
    for name, value in change_marks(now, version, seq).items():
        setattr(article, name, value)
    public = repo.is_public_article(article, now)
    before = False if created else public if was_public is None else was_public
    _record_events(session, article, now, was_public=before, public=public)
    if was_public is None or article.type == ArticleType.PAGE:  # pages are not synced
        return
    if was_public and not public:
        repo.put_tombstone(
            session,
            article.id,
            seq=article.change_seq,
            reason=removal_reason(article.status),
            at=now,
        )
    elif public and not was_public:
        repo.drop_tombstone(session, article.id)


def _record_events(
    session: Session, article: Article, now: datetime, *, was_public: bool, public: bool
) -> None:
    change = webhook_events.Change(
        article.id,
        article.change_seq,
        was_public,
        public,
        article.status,
        article.published_at,
        article.type,
    )
    facets = {article.id: _facets(article, was_public=True)} if was_public and not public else {}
    add_events(session, *webhook_events.rows_for([change], now, facets))


def _facets(article: Article, *, was_public: bool) -> dict[str, object]:
    return webhook_events.facets(
        [(t.lang, t.slug) for t in article.translations],
        [link.tag.slug for link in article.tag_links],
        with_slugs=was_public,
    )


def _new_translation(
    slugs: SlugBook,
    article: Article,
    lang: str,
    data: TranslationIn,
    now: datetime,
) -> ArticleTranslation:
    article_id = article.id
    restricted = article.visibility == RESTRICTED
    body = clean_body(data.body)
    excerpt = excerpt_for(data.excerpt, body, restricted=restricted)
    return ArticleTranslation(
        article_id=article_id,
        lang=lang,
        title=data.title,
        slug=slugs.claim(lang, data.slug, data.title, article_id),
        excerpt=excerpt,
        body=body,
        **translation_extras(data),
        updated_at=now,
        **index_columns(lang, data.title, excerpt, body),
    )


def _set_tags(session: Session, article: Article, slugs: Sequence[str]) -> None:
    known = _known(slugs, "tag", repo.tags_by_slug(session, slugs))
    article.tag_links.clear()
    _flush(session)
    for position, slug in enumerate(slugs):
        article.tag_links.append(
            ArticleTag(tag_id=known[slug].id, tag=known[slug], position=position)
        )


def _known(slugs: Sequence[str], what: str, found: dict[str, KnownT]) -> dict[str, KnownT]:
    """`found` (the stored tags or authors of `slugs`), once each slug is checked: listed
    once, and existing."""
    field = f"{what}s"
    duplicate = duplicate_tags_error(slugs, field, what)
    if duplicate is not None:
        raise ValidationFailed(f"Invalid value for: {field}", errors=[duplicate])
    missing = [
        FieldError(field=f"{field}[{i}]", message=f"Unknown {what} '{slug}'; create it first.")
        for i, slug in enumerate(slugs)
        if slug not in found
    ]
    if missing:
        raise ValidationFailed(f"Unknown {field}.", errors=missing)
    return found


def _set_authors(session: Session, article: Article, slugs: Sequence[str]) -> None:
    known = _known(slugs, "author", repo.authors_by_slug(session, slugs))
    article.author_links.clear()
    _flush(session)
    for position, slug in enumerate(slugs):
        article.author_links.append(
            ArticleAuthor(author_id=known[slug].id, author=known[slug], position=position)
        )


def _set_citations(session: Session, article: Article, citations: Sequence[CitationIn]) -> None:
    known = repo.sources_by_slug(session, [c.source for c in citations])
    errors = []
    for i, citation in enumerate(citations):
        if citation.source not in known:
            errors.append(
                FieldError(
                    field=f"citations[{i}].source", message=f"Unknown source '{citation.source}'."
                )
            )
    errors.extend(via_errors([c.via for c in citations]))
    if errors:
        raise ValidationFailed("Invalid citations.", errors=errors)
    article.citations.clear()
    _flush(session)
    created: list[Citation] = []
    for position, citation in enumerate(citations):
        row = Citation(
            article_id=article.id,
            source_id=known[citation.source].id,
            source=known[citation.source],
            position=position,
            url=citation.url,
        )
        article.citations.append(row)
        created.append(row)
    session.flush()
    for row, citation in zip(created, citations, strict=True):
        if citation.via is not None:
            row.via_id = created[citation.via].id


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(
        f"Invalid value for: {field}", errors=[FieldError(field=field, message=message)]
    )


def _flush(session: Session) -> None:
    """Flush, turning a lost race on a unique slug or external_id into a 409."""
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict("A slug or external_id is already taken; retry with another.") from exc
