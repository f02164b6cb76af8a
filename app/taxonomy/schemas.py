"""Tags and sources on the wire."""

from pydantic import BaseModel, Field

from app.core.schemas import InputModel, Names, Slug, SourceKind, Url


class TagRead(BaseModel):
    slug: str
    name: str = Field(description="Name in the response language. Plain text.")
    names: dict[str, str] = Field(description="Every name, by language. Plain text.")
    articles_url: str = Field(description="The feed of this tag's public articles.")


class SourceRead(TagRead):
    kind: str | None = Field(description="Plain text.")
    homepage_url: str | None


class TagCreate(InputModel):
    slug: Slug
    names: Names = Field(min_length=1)


class TagUpdate(InputModel):
    names: Names | None = Field(default=None, min_length=1, description="Replaces all names.")


class SourceCreate(TagCreate):
    kind: SourceKind | None = None
    homepage_url: Url | None = None


class SourceUpdate(TagUpdate):
    kind: SourceKind | None = None
    homepage_url: Url | None = None
