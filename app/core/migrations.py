"""Run Alembic from code: the CLI, `serve` on an empty database, and the test fixtures.

Alembic is imported when a command runs, not with this module: `dopys serve`'s worker
processes import the CLI module again (multiprocessing's spawn) and would otherwise each
hold Alembic and Mako (about 8 MB) for nothing."""

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


def alembic_config(url: str) -> "Config":
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["url"] = url
    return config


def upgrade(url: str, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str = "base") -> None:
    from alembic import command

    command.downgrade(alembic_config(url), revision)


def check(url: str) -> None:
    """Raise if the models describe a schema the migrations do not build."""
    from alembic import command

    command.check(alembic_config(url))
