"""``kiemtin status`` with and without a broker, and ``kiemtin worker`` refusing to start without one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline import app
from redis_kit import shared_redis_or_skip, unique_prefix


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KIEMTIN_DATABASE_URL", database_url)
    monkeypatch.delenv("KIEMTIN_BROKER_URL", raising=False)
    monkeypatch.setenv("KIEMTIN_UI_LANGUAGE", "en")  # these tests read the English messages

    runner = CliRunner()
    return lambda *args: runner.invoke(app, list(args), catch_exceptions=False)


def test_status_shows_storage_and_the_broker(cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    result = cli("status")
    assert "database:" in result.output and "retention 90 days" in result.output
    assert "broker" not in result.output  # none configured: everything runs in-process
    url = shared_redis_or_skip()
    with unique_prefix(url) as prefix:
        (tmp_path / "kiemtin.toml").write_text(f'[settings]\nredis_key_prefix = "{prefix}"\n', encoding="utf-8")
        monkeypatch.setenv("KIEMTIN_BROKER_URL", url)
        result = cli("status")
        assert "broker redis://127.0.0.1:6379/0: 0 worker(s) alive; queues: crawl 0 waiting, score 0 waiting" \
            in result.output
        data = json.loads(cli("status", "--json").output)
        assert data["workers"]["queues"][0] == {"name": "crawl", "depth": 0, "oldest_wait_s": None}
        assert data["storage"]["posts"] == 0


def test_worker_needs_a_broker(cli) -> None:
    result = cli("worker")
    assert result.exit_code == 2 and "no broker_url" in result.output
