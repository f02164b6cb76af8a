"""Search results on the wire: list items (as in the feed) plus how well they matched."""

from pydantic import BaseModel, Field

from app.articles.schemas import ArticleListItem
from app.core.schemas import PageMeta


class SearchHit(ArticleListItem):
    rank: float = Field(
        description=(
            "Where the best match is, higher first: 2 title, 1 excerpt, 0 body only. "
            "Hits of equal rank come newest first."
        ),
        examples=[2.0],
    )
    snippet: str | None = Field(
        default=None,
        description=(
            "A short passage of this item's translation (in `lang`: its excerpt or body) "
            "with the words that matched in <mark>...</mark>. HTML: the text is escaped, "
            "<mark> is the only tag. The start of the excerpt when the match was only in "
            "the title or in another translation; null when there is no text to quote."
        ),
        examples=["…ракетний удар по <mark>Києву</mark> вночі…"],
    )


HIT_FIELDS = ("rank", "snippet")  # a hit's fields beyond a list item's


class SearchResults(BaseModel):
    data: list[SearchHit]
    meta: PageMeta
