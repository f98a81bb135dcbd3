import pytest

from .server import database_urls


@pytest.fixture(params=database_urls())
def db_url(request, tmp_path):
    """The database of an end-to-end test: SQLite, and PostgreSQL when configured."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/e2e.sqlite3"
    from tests.store.conftest import postgres_url, reset_postgres
    url = postgres_url()
    reset_postgres(url)
    return url
