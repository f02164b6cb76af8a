"""Tags, sources and authors on the wire."""

from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from app.core.schemas import (
    PLAIN_TEXT,
    PLAIN_TEXT_DOC,
    InputModel,
    Lang,
    Names,
    Slug,
    SourceKind,
    Url,
)

TagKind = Literal["section", "topic"]
Bio = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=5000),
    PLAIN_TEXT,
    Field(description=PLAIN_TEXT_DOC),
]
Bios = dict[Lang, Bio]
Links = Annotated[list[Url], Field(max_length=20, description="Profile URLs.")]


class TaxonomyRead(BaseModel):
    slug: str
    name: str = Field(description="Name in the response language. Plain text.")
    names: dict[str, str] = Field(description="Every name, by language. Plain text.")
    articles_url: str = Field(description="The feed of this tag's public articles.")


class TagRead(TaxonomyRead):
    kind: TagKind = Field(description="`section` (a front page's section) or `topic`.")
    parent: str | None = Field(
        default=None,
        description="The slug of the section this one is under (an imported WordPress "
        "category's parent); null at the top.",
    )


class SourceRead(TaxonomyRead):
    kind: str | None = Field(description="Plain text.")
    homepage_url: str | None


class AuthorRead(TaxonomyRead):
    bio: str = Field(
        description="Bio in the response language (falls back like the name). Plain text."
    )
    bios: dict[str, str] = Field(description="Every bio, by language.")
    photo_url: str | None
    links: list[str]


class TagCreate(InputModel):
    slug: Slug
    names: Names = Field(min_length=1)
    kind: TagKind = "topic"


class TagUpdate(InputModel):
    names: Names | None = Field(default=None, min_length=1, description="Replaces all names.")
    kind: TagKind | None = None


class SourceCreate(InputModel):
    slug: Slug
    names: Names = Field(min_length=1)
    kind: SourceKind | None = None
    homepage_url: Url | None = None


class SourceUpdate(InputModel):
    names: Names | None = Field(default=None, min_length=1, description="Replaces all names.")
    kind: SourceKind | None = None
    homepage_url: Url | None = None


class AuthorCreate(InputModel):
    slug: Slug
    names: Names = Field(min_length=1)
    bios: Bios = Field(default={}, description="Bio by language; each needs a name too.")
    photo_url: Url | None = None
    links: Links = Field(default=[])


class AuthorUpdate(InputModel):
    names: Names | None = Field(default=None, min_length=1, description="Replaces all names.")
    bios: Bios | None = Field(default=None, description="Replaces all bios.")
    photo_url: Url | None = None
    links: Links | None = None
