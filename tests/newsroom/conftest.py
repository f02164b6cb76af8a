"""Fixtures shared with other areas."""

from tests.imports.test_migration import empty_database  # noqa: F401 (a fixture)
