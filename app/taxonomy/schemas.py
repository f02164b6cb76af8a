"""Tags and sources on the wire."""

from pydantic import BaseModel, Field

from app.core.schemas import InputModel, Lang, Name, Slug, Url


class TagRead(BaseModel):
    slug: str
    name: str = Field(description="Name in the response language.")
    names: dict[str, str] = Field(description="Every name, by language.")
    articles_url: str = Field(description="The feed of this tag's public articles.")


class SourceRead(TagRead):
    kind: str | None
    homepage_url: str | None


class TagCreate(InputModel):
    slug: Slug
    names: dict[Lang, Name] = Field(min_length=1, examples=[{"uk": "Новини", "en": "News"}])


class TagUpdate(InputModel):
    names: dict[Lang, Name] | None = Field(
        default=None, min_length=1, description="Replaces all names."
    )


class SourceCreate(TagCreate):
    kind: str | None = Field(default=None, max_length=50, examples=["think_tank"])
    homepage_url: Url | None = None


class SourceUpdate(TagUpdate):
    kind: str | None = Field(default=None, max_length=50)
    homepage_url: Url | None = None
