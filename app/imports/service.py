"""Bulk upsert of article lines by external_id (or id): created, updated or unchanged.

Lines arrive in batches; each batch is one transaction, so an interrupted import leaves
whole batches behind and a re-run completes it. The rules are the editor API's
(app.articles.rules): sanitized bodies, slug claiming, excerpts, change marks, and the
tombstones that tell sync clients an article left public view.
"""

import logging
import uuid
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from app.articles import rules
from app.articles.repository import change_seq_block, facet_keys, is_public_article
from app.core import changes as change_keys
from app.core.errors import Conflict
from app.core.slugs import is_suffixed, slugify_title
from app.exports.service import stored_lines
from app.imports import repository as repo
from app.imports.parsing import ExportCheck, ExportMarker, RawLine, SeenKeys, decode, validate
from app.imports.schemas import ArticleLine, ImportReport, KindCounts, LineError
from app.models import ArticleStatus, ArticleType, ArticleVisibility, RemovalReason, utcnow
from app.search.analysis import index_columns
from app.taxonomy.service import AUTHORS, SOURCES, TAGS
from app.webhooks import events as webhook_events
from app.webhooks.repository import add_events

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
MAX_REPORTED_ERRORS = 1000

NumberedLine = tuple[int, bytes | None]


@dataclass
class _Outcome:
    """What one batch did; added to the report only once its transaction committed."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[LineError] = field(default_factory=list)
    kinds: Counter[tuple[str, str]] = field(default_factory=Counter)  # (kind, outcome)
    keys: dict[str, int] = field(default_factory=dict)  # upsert keys taken, by line
    # Ids of lines keyed by external_id: checked within the batch only (across batches the
    # stored article answers), so a million-line export costs one remembered key a line.
    ids: set[uuid.UUID] = field(default_factory=set)


class Checked(NamedTuple):
    """A valid line with each translation's sanitized body and excerpt and its lemma
    columns for search, in order."""

    line: ArticleLine
    bodies: list[tuple[str, str]]
    lemmas: list[dict[str, str]]


def check(raw: RawLine, languages: Collection[str] | None = None) -> Checked | list[LineError]:
    """Validate a line and do the costly rules that need no database: sanitizing, excerpts,
    lemmatizing for search (cached per word: see app.search.analysis). `languages`: the
    site's (SITE_LANGUAGES); a line in another is an error."""
    line = validate(raw)
    if isinstance(line, list):
        return line
    if languages is not None:
        errors = _language_errors(raw.number, line, languages)
        if errors:
            return errors
    bodies = []
    restricted = line.visibility == ArticleVisibility.RESTRICTED
    lemmas = []
    for translation in line.translations:
        body = rules.clean_body(translation.body)
        excerpt = rules.excerpt_for(translation.excerpt, body, restricted=restricted)
        bodies.append((body, excerpt))
        lemmas.append(index_columns(translation.lang, translation.title, excerpt, body))
    return Checked(line, bodies, lemmas)


def _language_errors(number: int, line: ArticleLine, languages: Collection[str]) -> list[LineError]:
    allowed = ", ".join(languages)
    errors = [
        LineError(
            line=number,
            field=f"translations[{i}].lang",
            message=f"'{t.lang}' is not one of the site's languages ({allowed}); add it to "
            "SITE_LANGUAGES to import it.",
        )
        for i, t in enumerate(line.translations)
        if t.lang not in languages
    ]
    if line.original_lang is not None and line.original_lang not in languages and not errors:
        errors.append(
            LineError(
                line=number,
                field="original_lang",
                message=f"'{line.original_lang}' is not one of the site's languages ({allowed}).",
            )
        )
    return errors


def check_lines(
    lines: Sequence[NumberedLine], languages: Collection[str] | None = None
) -> dict[int, Checked | list[LineError]]:
    """`check` for raw lines, by line number (a line that is no article is left out): what
    a worker process of app.imports.workers runs, so only bytes travel to it."""
    checked: dict[int, Checked | list[LineError]] = {}
    for number, raw in lines:
        item = decode(number, raw)
        if isinstance(item, RawLine):
            checked[number] = check(item, languages)
    return checked


# Checks the lines given (numbered raw lines) for the site's languages: check_lines, here
# or on other processes.
Checker = Callable[
    [Sequence[NumberedLine], Collection[str] | None], dict[int, Checked | list[LineError]]
]

KindOf = Callable[[int, dict[str, Any] | None], str]


def kind_of_line(number: int, data: dict[str, Any] | None) -> str:
    """What an NDJSON line is: a page when it says so, else an article."""
    return "page" if data is not None and data.get("type") == "page" else "article"


@dataclass
class Prepared:
    """A batch decoded, and checked ahead where the line looked changed (see `prepare`)."""

    lines: list[RawLine]
    errors: list[LineError]
    checked: dict[int, Checked | list[LineError]]


class _Visible(NamedTuple):
    status: ArticleStatus
    published_at: datetime | None


@dataclass
class _Plan:
    number: int
    digest: str
    line: ArticleLine
    bodies: list[tuple[str, str]]  # sanitized body, excerpt
    lemmas: list[dict[str, str]]  # search's lemma columns
    article_id: uuid.UUID
    existing: repo.Existing | None
    slugs: list[str]
    raw_data: dict[str, Any]


class ImportRun:
    """One import: batches of numbered raw lines in (`process`), a report out."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        dry_run: bool = False,
        batch_size: int = BATCH_SIZE,
        languages: Collection[str] | None = None,
        kind_of: KindOf = kind_of_line,
        lenient_slugs: bool = False,
    ) -> None:
        """`lenient_slugs`: a slug the line gives that another article holds gets a `-2`,
        `-3`... suffix (as the editor API does for generated ones) instead of failing the
        line: converted exports (feeds, WordPress, Ghost) suggest slugs, they do not own them."""
        self.sessions = sessions
        self.batch_size = batch_size
        self.report = ImportReport(dry_run=dry_run)
        self.languages = languages
        self.kind_of = kind_of
        self.lenient_slugs = lenient_slugs
        self._seen = SeenKeys()
        self._export = ExportCheck()
        # Called after each batch's commit with the report so far (an import job's progress).
        self.on_commit: Callable[[ImportReport], None] | None = None

    def finish(self) -> ImportReport:
        """The report of an NDJSON import, once every line went through: how many article
        lines it read, and whether an export was cut short."""
        self.report.items = self._export.articles
        self.report.truncated = self._export.finish()
        return self.report

    def process(self, lines: Sequence[NumberedLine], failed: Sequence[LineError] = ()) -> None:
        """Decode, validate and store one batch in one transaction (a dry run stores none);
        `failed`: errors of a converted file's items that never became a line, counted
        with this batch."""
        batch = self.prepare(lines)
        batch.errors += failed
        self.store(batch)

    def prepare(
        self,
        lines: Sequence[NumberedLine],
        hints: sessionmaker[Session] | None = None,
        checker: Checker = check_lines,
    ) -> Prepared:
        """Decode a batch; with `hints` (a read-only session factory) also check, ahead of
        `store`, the lines whose stored hash differs: a pipeline runs this for the next
        batch while the database writes the current one (and `checker` may check them on
        other processes). Only a hint: `store` looks again inside its transaction and
        checks any line this skipped."""
        decoded: list[RawLine] = []
        errors: list[LineError] = []
        for number, raw in lines:
            item = decode(number, raw)
            if isinstance(item, ExportMarker):
                self._export.marker(item)
                continue
            if item is not None:
                self._export.article()
            if isinstance(item, LineError):
                errors.append(item)
            elif item is not None:
                decoded.append(item)
        checked: dict[int, Checked | list[LineError]] = {}
        if hints is not None:
            stored = _stored_hashes(hints, decoded)
            changed = {
                line.number
                for line in decoded
                if stored.get(_primary_key(line) or "") != line.digest
            }
            if changed:
                wanted = [(n, raw) for n, raw in lines if n in changed]
                checked = checker(wanted, self.languages)
        return Prepared(decoded, errors, checked)

    def store(self, batch: Prepared) -> None:
        """Write a prepared batch in one transaction and count it in the report."""
        try:
            outcome = self._run_batch(batch)
        except IntegrityError:
            # Another writer stored one of these keys or slugs since we looked: look again.
            logger.info("import batch lost a race; retrying it once")
            outcome = self._run_batch(batch)
        self._record(outcome, batch.errors)
        if self.on_commit is not None:
            self.on_commit(self.report)

    def _run_batch(self, batch: Prepared) -> _Outcome:
        with self.sessions() as session:
            try:
                outcome = _Batch(session, batch, self._seen, self).run()
                if self.report.dry_run:
                    session.rollback()
                else:
                    session.commit()
            except BaseException:
                session.rollback()
                raise
        return outcome

    def _record(self, outcome: _Outcome, decode_errors: list[LineError]) -> None:
        report = self.report
        report.created += outcome.created
        report.updated += outcome.updated
        report.unchanged += outcome.unchanged
        errors = sorted(decode_errors + outcome.errors, key=lambda e: e.line)
        report.failed += len({e.line for e in errors})
        kinds = outcome.kinds + Counter(
            (self.kind_of(e.line, None), "failed") for e in decode_errors
        )
        for (kind, what), count in kinds.items():
            counts = report.kinds.setdefault(kind, KindCounts())
            setattr(counts, what, getattr(counts, what) + count)
        room = max(0, MAX_REPORTED_ERRORS - len(report.errors))
        report.errors.extend(errors[:room])
        report.errors_omitted += len(errors[room:])
        for key, number in outcome.keys.items():
            self._seen.add(key, number)


def _stored_hashes(sessions: sessionmaker[Session], lines: list[RawLine]) -> dict[str, str]:
    """Import hashes stored for the lines' keys (by _primary_key), read outside any write."""
    with sessions() as session:
        stored = repo.existing_articles(
            session,
            {r.external_id for r in lines if r.external_id is not None},
            {r.article_id for r in lines if r.article_id is not None},
        )
    hashes: dict[str, str] = {}
    for row in stored:
        if row.import_hash is not None:
            hashes[f"i:{row.id}"] = row.import_hash
            if row.external_id is not None:
                hashes[f"e:{row.external_id}"] = row.import_hash
    return hashes


def _primary_key(raw: RawLine) -> str | None:
    if raw.external_id is not None:
        return f"e:{raw.external_id}"
    return f"i:{raw.article_id}" if raw.article_id is not None else None


class _Batch:
    """One batch inside one session: match, validate, plan, then write in bulk."""

    def __init__(self, session: Session, batch: Prepared, seen: SeenKeys, run: ImportRun) -> None:
        self.session = session
        self.lines = batch.lines
        self.checked = batch.checked
        self.seen = seen
        self.run_ = run
        self.dry = run.report.dry_run
        self.now = utcnow()
        self.outcome = _Outcome()

    def run(self) -> _Outcome:
        stored = repo.existing_articles(
            self.session,
            {r.external_id for r in self.lines if r.external_id is not None},
            {r.article_id for r in self.lines if r.article_id is not None},
        )
        self.by_external_id = {row.external_id: row for row in stored if row.external_id}
        self.by_id = {row.id: row for row in stored}
        changed: list[tuple[RawLine, Checked, repo.Existing | None]] = []
        kinds = self.outcome.kinds
        for raw in self.lines:
            kind = self.run_.kind_of(raw.number, raw.data)
            target = self._match(raw)
            if isinstance(target, LineError):
                self.outcome.errors.append(target)
                kinds[kind, "failed"] += 1
            elif target is not None and target.import_hash == raw.digest:
                self.outcome.unchanged += 1
                kinds[kind, "unchanged"] += 1
                self._claim_keys(raw)
            else:
                line = self.checked.get(raw.number) or check(raw, self.run_.languages)
                if isinstance(line, list):
                    self.outcome.errors.extend(line)
                    kinds[kind, "failed"] += 1
                else:
                    changed.append((raw, line, target))
                    self._claim_keys(raw)  # so a second line with this key is a duplicate
        plans = self._plan(changed)
        planned = {p.number for p in plans}
        for raw, _, _ in changed:
            if raw.number not in planned:
                kinds[self.run_.kind_of(raw.number, raw.data), "failed"] += 1
        plans = self._drop_unchanged(plans)
        if not self.dry:
            self._write(plans)
        for plan in plans:
            outcome = "updated" if plan.existing else "created"
            kinds[self.run_.kind_of(plan.number, plan.raw_data), outcome] += 1
        self.outcome.created = sum(1 for p in plans if p.existing is None)
        self.outcome.updated = len(plans) - self.outcome.created
        return self.outcome

    def _drop_unchanged(self, plans: list[_Plan]) -> list[_Plan]:
        """Lines whose hash differs from the stored one (an export of this database, a file
        converted by newer rules...) but that would store exactly what is stored: counted
        unchanged, nothing written but the new hash, so sync and `updated_at` see nothing."""
        existing = [p for p in plans if p.existing is not None]
        if not existing:
            return plans
        stored = stored_lines(self.session, [p.article_id for p in existing])
        same: dict[uuid.UUID, str] = {}
        for plan in existing:
            line = stored.get(plan.article_id)
            if line is not None and _same_content(plan, line, self.now):
                same[plan.article_id] = plan.digest
                self.outcome.unchanged += 1
                self.outcome.kinds[self.run_.kind_of(plan.number, plan.raw_data), "unchanged"] += 1
        if same and not self.dry:
            repo.set_import_hashes(self.session, same)
        return [p for p in plans if p.article_id not in same]

    def _match(self, raw: RawLine) -> repo.Existing | LineError | None:
        """The stored article this line upserts, None for a new one, or why it cannot be."""
        key = _primary_key(raw)
        if key is None:
            return None  # validation reports the missing key
        field_ = "external_id" if raw.external_id is not None else "id"
        earlier = self.outcome.keys.get(key) or self.seen.line_of(key)
        if earlier is not None:
            return LineError(
                line=raw.number, field=field_, message=f"Also on line {earlier} of this file."
            )
        if raw.external_id is None:
            return self.by_id.get(raw.article_id) if raw.article_id else None
        target = self.by_external_id.get(raw.external_id)
        if raw.article_id is None:
            return target
        if target is not None and target.id != raw.article_id:
            return LineError(
                line=raw.number,
                field="id",
                message=f"The article with this external_id has the id {target.id}.",
            )
        if target is None and (raw.article_id in self.by_id or raw.article_id in self.outcome.ids):
            return LineError(line=raw.number, field="id", message="Another article has this id.")
        return target

    def _claim_keys(self, raw: RawLine) -> None:
        key = _primary_key(raw)
        if key is not None:
            self.outcome.keys[key] = raw.number
        if raw.external_id is not None and raw.article_id is not None:
            self.outcome.ids.add(raw.article_id)

    def _plan(self, changed: list[tuple[RawLine, Checked, repo.Existing | None]]) -> list[_Plan]:
        """Claim every translation's slug (the editor API's rules); a clash fails its line."""
        stored = repo.stored_translations(
            self.session, [target.id for _, _, target in changed if target is not None]
        )
        book = rules.SlugBook(self.session)
        wanted: list[list[str | None]] = []
        for _, (line, _, _), target in changed:
            wanted.append(
                [
                    self._kept_slug(t.slug, t.title, stored.get((target.id, t.lang)))
                    if target
                    else t.slug
                    for t in line.translations
                ]
            )
        book.prefetch(
            (t.lang, slug or slugify_title(t.title))
            for (_, (line, _, _), _), slugs in zip(changed, wanted, strict=True)
            for t, slug in zip(line.translations, slugs, strict=True)
        )
        plans: list[_Plan] = []
        for (raw, (line, bodies, lemmas), target), slugs in zip(changed, wanted, strict=True):
            article_id = target.id if target else (line.id or uuid.uuid4())
            claimed = self._claim_slugs(book, raw, line, slugs, article_id)
            if claimed is not None:
                plans.append(
                    _Plan(
                        raw.number,
                        raw.digest,
                        line,
                        bodies,
                        lemmas,
                        article_id,
                        target,
                        claimed,
                        raw.data,
                    )
                )
        return plans

    def _kept_slug(
        self, wanted: str | None, title: str, existing: tuple[str, str] | None
    ) -> str | None:
        """The editor API's rule; and for a converted export, a stored `-N` variant of the
        suggested slug stays (the suggestion was taken when the article was first imported)."""
        if (
            self.run_.lenient_slugs
            and wanted is not None
            and existing is not None
            and is_suffixed(existing[1], wanted)
        ):
            return existing[1]
        return rules.kept_slug(wanted, title, existing)

    def _claim_slugs(
        self,
        book: rules.SlugBook,
        raw: RawLine,
        line: ArticleLine,
        wanted: list[str | None],
        article_id: uuid.UUID,
    ) -> list[str] | None:
        claimed: list[str] = []
        for i, (translation, slug) in enumerate(zip(line.translations, wanted, strict=True)):
            try:
                claimed.append(
                    book.claim(
                        translation.lang,
                        slug,
                        translation.title,
                        article_id,
                        suffix_taken=self.run_.lenient_slugs,
                    )
                )
            except Conflict as exc:
                book.release(article_id)
                self.outcome.errors.append(
                    LineError(line=raw.number, field=f"translations[{i}].slug", message=str(exc))
                )
                self.outcome.keys.pop(_primary_key(raw) or "", None)
                self.outcome.ids.discard(article_id)
                return None
        return claimed

    def _write(self, plans: list[_Plan]) -> None:
        if not plans:
            return
        tag_ids, source_ids, author_ids, created = self._taxonomy(plans)
        changed = self._changed(plans) | ({change_keys.TAXONOMY} if created else set())
        seqs = change_seq_block(self.session, len(plans) + (1 if created else 0), changed)
        articles_new: list[dict[str, Any]] = []
        articles_changed: list[dict[str, Any]] = []
        removed: list[dict[str, Any]] = []
        revived: list[uuid.UUID] = []
        translations: list[dict[str, Any]] = []
        tag_links: list[dict[str, Any]] = []
        author_links: list[dict[str, Any]] = []
        citations: list[dict[str, Any]] = []
        vias: list[int | None] = []
        changes: list[webhook_events.Change] = []
        leaving: dict[uuid.UUID, dict[str, Any]] = {}
        for plan, seq in zip(plans, seqs, strict=False):
            row = self._article_row(plan, seq)
            (articles_changed if plan.existing else articles_new).append(row)
            changes.append(self._visibility(plan, row, removed, revived, leaving))
            translations += self._translation_rows(plan, row["updated_at"])
            tag_links += [
                {"article_id": plan.article_id, "tag_id": tag_ids[tag.slug], "position": i}
                for i, tag in enumerate(plan.line.tags)
            ]
            author_links += [
                {"article_id": plan.article_id, "author_id": author_ids[a.slug], "position": i}
                for i, a in enumerate(plan.line.authors)
            ]
            offset = len(citations)
            for i, citation in enumerate(plan.line.citations):
                citations.append(
                    {
                        "article_id": plan.article_id,
                        "source_id": source_ids[citation.source.slug],
                        "position": i,
                        "url": citation.url,
                    }
                )
                vias.append(None if citation.via is None else offset + citation.via)
        repo.update_articles(self.session, articles_changed)
        repo.insert_articles(self.session, articles_new)
        repo.insert_children(self.session, translations, tag_links, citations, vias, author_links)
        repo.set_tombstones(self.session, removed, revived)
        add_events(self.session, *webhook_events.rows_for(changes, self.now, leaving))

    def _changed(self, plans: list[_Plan]) -> set[str]:
        """What the batch changes (app.core.changes): every list, and each article's keys
        before (one query for those stored already) and after."""
        stored = [plan.article_id for plan in plans if plan.existing is not None]
        keys = {
            change_keys.LISTING,
            change_keys.PAGES,
            *(facet_keys(self.session, stored) if stored else ()),
        }
        for plan in plans:
            line = plan.line
            keys.add(change_keys.article(plan.article_id))
            keys.update(change_keys.month(moment) for moment in self._months(plan))
            keys.update(change_keys.slug(slug) for slug in plan.slugs)
            keys |= change_keys.facets(
                [tag.slug for tag in line.tags],
                [citation.source.slug for citation in line.citations],
                [author.slug for author in line.authors],
            )
        return keys

    def _months(self, plan: _Plan) -> list[datetime]:
        """Publication times before and after the write (their months' sitemaps change)."""
        before = plan.existing.published_at if plan.existing else None
        after = rules.published_at_for(plan.line.status, plan.line.published_at or before, self.now)
        return [moment for moment in (before, after) if moment is not None]

    def _visibility(
        self,
        plan: _Plan,
        row: dict[str, Any],
        removed: list[dict[str, Any]],
        revived: list[uuid.UUID],
        leaving: dict[uuid.UUID, dict[str, Any]],
    ) -> webhook_events.Change:
        """The editor API's rule for sync clients: an article that stops being public gets
        a tombstone; one that becomes public loses it (an id may come back via export).
        Pages are never synced: an article that becomes one is gone for sync clients.
        The same change, as webhooks see it (a page's as `page.*`), is returned."""
        existing = plan.existing
        listed = is_public_article(_Visible(row["status"], row["published_at"]), self.now)
        was_listed = existing is not None and is_public_article(existing, self.now)
        public = listed and row["type"] == ArticleType.ARTICLE
        was_public = existing is not None and was_listed and existing.type == ArticleType.ARTICLE
        change = webhook_events.Change(
            plan.article_id,
            row["change_seq"],
            was_listed,
            listed,
            row["status"],
            row["published_at"],
            row["type"],
        )
        if was_listed and not listed:
            leaving[plan.article_id] = webhook_events.facets(
                [
                    (t.lang, slug)
                    for t, slug in zip(plan.line.translations, plan.slugs, strict=True)
                ],
                [tag.slug for tag in plan.line.tags],
                with_slugs=True,
            )
        if was_public and not public:
            reason = (
                rules.removal_reason(row["status"]) if not listed else RemovalReason.UNPUBLISHED
            )
            removed.append(
                {
                    "article_id": plan.article_id,
                    "change_seq": row["change_seq"],
                    "deleted_at": self.now,
                    "reason": reason,
                }
            )
        elif public and not was_public:
            revived.append(plan.article_id)
        return change

    def _taxonomy(
        self, plans: list[_Plan]
    ) -> tuple[dict[str, int], dict[str, int], dict[str, int], int]:
        tags: dict[str, tuple[dict[str, str], dict[str, Any]]] = {}
        sources: dict[str, tuple[dict[str, str], dict[str, Any]]] = {}
        authors: dict[str, tuple[dict[str, str], dict[str, Any]]] = {}
        bios: dict[str, dict[str, str]] = {}
        parents: dict[str, str] = {}  # tag slug -> its parent's
        for plan in plans:
            for tag in plan.line.tags:
                for item in tag.lineage():
                    tags.setdefault(item.slug, (item.names, {"kind": item.kind}))
                    if item.parent is not None:
                        parents.setdefault(item.slug, item.parent.slug)
            for author in plan.line.authors:
                extra = {"photo_url": author.photo_url, "links": author.links}
                authors.setdefault(author.slug, (author.names, extra))
                bios.setdefault(author.slug, author.bios)
            for citation in plan.line.citations:
                source = citation.source
                extra = {"kind": source.kind, "homepage_url": source.homepage_url}
                sources.setdefault(source.slug, (source.names, extra))
        tag_ids, new_tags = repo.ensure_taxonomy(self.session, TAGS, tags, self.now)
        new_tags += repo.set_tag_parents(
            self.session, {tag_ids[child]: tag_ids[parent] for child, parent in parents.items()}
        )
        source_ids, new_sources = repo.ensure_taxonomy(self.session, SOURCES, sources, self.now)
        author_ids, new_authors = repo.ensure_taxonomy(
            self.session, AUTHORS, authors, self.now, bios
        )
        return tag_ids, source_ids, author_ids, new_tags + new_sources + new_authors

    def _article_row(self, plan: _Plan, seq: int) -> dict[str, Any]:
        line, existing = plan.line, plan.existing
        updated_at = line.updated_at or self.now
        published_at = line.published_at or (existing.published_at if existing else None)
        row: dict[str, Any] = {
            "id": plan.article_id,
            "original_lang": line.lang,
            "status": line.status,
            "published_at": rules.published_at_for(line.status, published_at, self.now),
            "type": line.type,
            "visibility": line.visibility,
            "canonical_url": line.canonical_url,
            "cover_url": line.cover_image.url if line.cover_image else None,
            "cover_width": line.cover_image.width if line.cover_image else None,
            "cover_height": line.cover_image.height if line.cover_image else None,
            "featured": line.featured,
            **rules.change_marks(updated_at, existing.version + 1 if existing else 1, seq),
            "import_hash": plan.digest,
        }
        if line.external_id is not None or existing is None:
            row["external_id"] = line.external_id
        if existing is None:
            row["created_at"] = self.now
        return row

    @staticmethod
    def _translation_rows(plan: _Plan, updated_at: datetime) -> list[dict[str, Any]]:
        rows = []
        for t, slug, (body, excerpt), lemmas in zip(
            plan.line.translations, plan.slugs, plan.bodies, plan.lemmas, strict=True
        ):
            rows.append(
                {
                    "article_id": plan.article_id,
                    "lang": t.lang,
                    "title": t.title,
                    "slug": slug,
                    "excerpt": excerpt,
                    "body": body,
                    **rules.translation_extras(t),
                    "updated_at": t.updated_at or updated_at,
                    **lemmas,
                }
            )
        return rows


def _same_content(plan: _Plan, stored: dict[str, Any], now: datetime) -> bool:
    """Whether writing the plan would store what `stored` (the article's export line)
    holds: both are read as import lines and compared as the import would store them."""
    try:
        theirs = ArticleLine.model_validate(stored)
    except ValueError:
        return False
    mine = plan.line
    assert plan.existing is not None
    published = mine.published_at or plan.existing.published_at
    mine_data = _comparable(
        mine,
        [
            (slug, body, excerpt)
            for slug, (body, excerpt) in zip(plan.slugs, plan.bodies, strict=True)
        ],
        rules.published_at_for(mine.status, published, now),
    )
    theirs_data = _comparable(
        theirs,
        [(t.slug or "", t.body, t.excerpt) for t in theirs.translations],
        theirs.published_at,
    )
    # A time the line does not give is not a change (the import would set "now" only
    # because something else changed).
    if mine.updated_at is None:
        theirs_data.pop("updated_at")
        mine_data.pop("updated_at")
    for lang, translation in mine_data["translations"].items():
        if translation.get("updated_at") is None and lang in theirs_data["translations"]:
            theirs_data["translations"][lang].pop("updated_at", None)
            translation.pop("updated_at", None)
    return mine_data == theirs_data


def _comparable(
    line: ArticleLine, stored: list[tuple[str, str, str]], published_at: datetime | None
) -> dict[str, Any]:
    """The line as stored: keys dropped, taxonomy by slug (names and kinds only matter when
    a tag is created), translations by language with their stored slug, body and excerpt."""
    data = line.model_dump(mode="json", exclude={"id", "external_id"})
    data["original_lang"] = line.lang
    data["published_at"] = published_at.isoformat() if published_at else None
    for name, value in data.items():
        if isinstance(value, list) and name != "translations":
            data[name] = [_by_slug(item) for item in value]
    translations = {}
    for translation, (slug, body, excerpt) in zip(data["translations"], stored, strict=True):
        translation.update(slug=slug, body=body, excerpt=excerpt)
        translations[translation["lang"]] = translation
    data["translations"] = translations
    return data


def _by_slug(item: Any) -> Any:
    if isinstance(item, dict):
        if isinstance(item.get("source"), dict):
            return {**item, "source": item["source"].get("slug")}
        if "slug" in item:
            return item["slug"]
    return item
