"""End to end: items survive SIGKILLs of the real server, neither duplicated nor lost."""

import subprocess
import sys
from pathlib import Path

import pytest

from .server import database_urls

SCRIPT = Path(__file__).resolve().parents[2] / "tools" / "crash_items.py"


@pytest.mark.parametrize("backend", database_urls())
def test_item_counts_survive_sigkill(backend, tmp_path):
    """Three kill-and-restart rounds of players dropping and picking up keep every item count."""
    command = [sys.executable, str(SCRIPT), "--rounds", "3", "--players", "3",
               "--min-run", "0.3", "--max-run", "1.2", "--keep-logs", str(tmp_path)]
    if backend == "sqlite":
        command += ["--backend", "sqlite"]
    else:
        from tests.store.conftest import postgres_url, reset_postgres
        url = postgres_url()  # skips, or fails when services are required, without one
        reset_postgres(url)
        command += ["--backend", "postgresql", "--postgresql-url", url]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("killed, restarted") == 3
    assert "every count matched" in result.stdout
