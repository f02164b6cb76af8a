"""The NDJSON import/export line (one article a line) and the import report."""

import uuid
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, Field, model_validator

from app.articles.schemas import CoverInput, ExternalId, TranslationCreate, Via
from app.core.errors import Problem
from app.core.schemas import InputModel, Lang, Moment, Name, Slug, SourceKind, Timestamp, Url
from app.models import ArticleStatus, ArticleType, ArticleVisibility
from app.taxonomy.schemas import Bios, Links, TagKind

NDJSON_MEDIA_TYPE = "application/x-ndjson"
MAX_TAGS = 1000
MAX_TAG_DEPTH = 20


class TagLine(InputModel):
    slug: Slug
    names: dict[Lang, Name] = Field(default={}, description="Used when the tag is created.")
    kind: TagKind = Field(default="topic", description="Used when the tag is created.")
    parent: "TagItem | None" = Field(
        default=None,
        description="The section it is under (a slug, or the tag itself, with its own "
        "parent): set when the tag is created or has none yet.",
    )

    @model_validator(mode="after")
    def _no_cycle(self) -> "TagLine":
        seen = {self.slug}
        parent = self.parent
        while parent is not None:
            if parent.slug in seen or len(seen) > MAX_TAG_DEPTH:
                raise ValueError(f"The parents of tag '{self.slug}' loop or go too deep.")
            seen.add(parent.slug)
            parent = parent.parent
        return self

    def lineage(self) -> list["TagLine"]:
        """The tag, then its parent, its parent's parent..."""
        chain: list[TagLine] = [self]
        while chain[-1].parent is not None:
            chain.append(chain[-1].parent)
        return chain


class SourceLine(InputModel):
    slug: Slug
    names: dict[Lang, Name] = Field(default={}, description="Used when the source is created.")
    kind: SourceKind | None = None
    homepage_url: Url | None = None


class AuthorLine(InputModel):
    slug: Slug
    names: dict[Lang, Name] = Field(default={}, description="Used when the author is created.")
    bios: Bios = Field(default={}, description="Used when the author is created.")
    photo_url: Url | None = None
    links: Links = Field(default=[])


def _bare_slug(value: Any) -> Any:
    # "news" is short for {"slug": "news"}; one shape after parsing, one error path.
    return {"slug": value} if isinstance(value, str) else value


TagItem = Annotated[TagLine, BeforeValidator(_bare_slug, json_schema_input_type=Slug | TagLine)]
AuthorItem = Annotated[
    AuthorLine, BeforeValidator(_bare_slug, json_schema_input_type=Slug | AuthorLine)
]
TagLine.model_rebuild()
SourceItem = Annotated[
    SourceLine, BeforeValidator(_bare_slug, json_schema_input_type=Slug | SourceLine)
]


class CitationLine(InputModel):
    source: SourceItem = Field(description="A source slug, or the source itself.")
    url: Url | None = None
    via: Via | None = None


class TranslationLine(TranslationCreate):
    updated_at: Timestamp | None = Field(
        default=None, description="Kept when given (exports carry it); else the import time."
    )


class ArticleLine(CoverInput):
    """One article. Upserted by `external_id`; an article without one (made in the editor)
    is exported with its `id`, which then serves as the key."""

    external_id: ExternalId | None = Field(default=None, description="The upsert key.")
    id: uuid.UUID | None = Field(default=None, description="The article's id, kept on create.")
    original_lang: Lang | None = Field(
        default=None, description="Defaults to the first translation's language."
    )
    type: ArticleType = ArticleType.ARTICLE
    status: ArticleStatus = ArticleStatus.DRAFT
    visibility: ArticleVisibility = ArticleVisibility.PUBLIC
    published_at: Timestamp | None = None
    updated_at: Timestamp | None = Field(
        default=None, description="Kept when given (exports carry it); else the import time."
    )
    canonical_url: Url | None = None
    featured: bool = False
    tags: list[TagItem] = Field(
        default=[],
        max_length=MAX_TAGS,
        description="First = section. As many as the source gives (WordPress posts with 64 "
        "terms exist); more than 1,000 is an error on the line, never a silent cut.",
    )
    authors: list[AuthorItem] = Field(
        default=[], max_length=20, description="First = primary byline."
    )
    citations: list[CitationLine] = Field(default=[], max_length=50)
    translations: list[TranslationLine] = Field(min_length=1, max_length=20)

    @property
    def lang(self) -> str:
        return self.original_lang or self.translations[0].lang


def _absent(value: Any) -> bool:
    return value is None


EXPORT_FORMAT = "dopys-articles"
EXPORT_DOC = (
    'An export\'s first line is its header, `{"export": {"format": "dopys-articles", '
    '"version": 1}}`, and its last line its trailer, `{"export": {"count": N, '
    '"complete": true}}` (N: the article lines between them). A stream that lacks the '
    "trailer was cut short. An import skips both lines (they are not articles) and reports "
    "`truncated` when a header is not followed by its trailer or the count differs."
)


def export_header() -> dict[str, Any]:
    return {"export": {"format": EXPORT_FORMAT, "version": 1}}


def export_trailer(count: int) -> dict[str, Any]:
    return {"export": {"count": count, "complete": True}}


class LineError(BaseModel):
    line: int = Field(description="1-based line number in the uploaded file.")
    field: str | None = Field(description="The offending field; null when the whole line is bad.")
    message: str
    # Only for a converted file (absent from NDJSON reports, whose `line` says it all).
    kind: str | None = Field(
        default=None,
        exclude_if=_absent,
        description="What the item was at its source (post, page...); converted files only.",
    )
    item: int | None = Field(
        default=None,
        exclude_if=_absent,
        description="The item's number in the converted file (1-based); there `line` is "
        "the number of the article converted from it.",
    )
    source_line: int | None = Field(
        default=None,
        exclude_if=_absent,
        description="The line of the converted XML file where the item starts.",
    )


class KindCounts(BaseModel):
    """What became of the items of one kind (post, page, attachment, menu item...)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = Field(default=0, description="Not imported, on purpose (see `skipped_items`).")
    failed: int = Field(default=0, description="Could not be imported (see `errors`).")


class ItemNote(BaseModel):
    """An item of a converted file that was skipped, or imported with a remark."""

    kind: str
    item: int = Field(description="The item's number in the file (1-based).")
    source_line: int | None = Field(
        default=None, description="The line where the item starts (XML files)."
    )
    source_id: str | None = Field(
        default=None, description="The item's id at its source (WordPress post id, guid...)."
    )
    message: str


class ImportReport(BaseModel):
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = Field(default=0, description="Lines not stored (each reported in `errors`).")
    errors: list[LineError] = Field(default=[], description="Per-line errors, in line order.")
    errors_omitted: int = Field(
        default=0, description="Errors past the first 1,000, counted but not listed."
    )
    dry_run: bool = False
    format: str = Field(default="ndjson", description="What the uploaded file was.")
    items: int = Field(
        default=0,
        description="Items read: an NDJSON file's article lines (an export's header and "
        "trailer are not articles), a converted file's posts, pages, entries...",
    )
    kinds: dict[str, KindCounts] = Field(
        default={},
        description="Per kind of item (post, page, attachment, nav_menu_item...; `article` "
        "for NDJSON lines): created, updated, unchanged, skipped, failed.",
    )
    skipped: int = Field(default=0, description="Items of a converted file not imported.")
    skipped_items: list[ItemNote] = Field(
        default=[], description="Each skipped item with the reason (the first 1,000)."
    )
    notes: list[ItemNote] = Field(
        default=[],
        description="Items imported with a remark (e.g. a private post kept as a draft).",
    )
    remarks: list[str] = Field(
        default=[],
        description="About the whole file: an encoding guessed, a language assumed.",
    )
    truncated: bool = Field(
        default=False,
        description="The body is an export (it began with the export header) that does not "
        "end with its trailer, or whose trailer counts other than the article lines read: "
        "cut short. The lines it has were imported.",
    )


class ImportJobCounts(BaseModel):
    """What the committed batches hold so far (written at each batch commit)."""

    read: int = Field(description="Items read and stored or refused so far.")
    created: int
    updated: int
    unchanged: int
    failed: int


class ImportJobOut(BaseModel):
    """An import running in the background (`Prefer: respond-async`)."""

    id: uuid.UUID
    state: Literal["queued", "running", "done", "failed", "interrupted"] = Field(
        description="`interrupted`: the server process running it stopped; what the "
        "committed batches stored stays, and re-running the same import completes it."
    )
    format: str
    dry_run: bool
    counts: ImportJobCounts
    report: ImportReport | None = Field(
        description="When done: the report the synchronous import would have answered."
    )
    problem: Problem | None = Field(
        description="When failed: the problem the synchronous import would have answered."
    )
    message: str | None = Field(default=None, description="What to do next, if anything.")
    created_at: Moment
    heartbeat_at: Moment = Field(description="Last sign of life of the process running it.")
    finished_at: Moment | None
