"""allow_networks replaces allow_private_networks: validated at load naming the field; the old key stops the load
with what to write instead; the crawler gets the networks; the demo allows only its replay server."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from cli.demo import demo_config
from config import AppConfig, ConfigError, Settings, load_config
from crawler import BlockedAddress, CrawlSettings, Fetcher, check_source_url
from service.runtime import Runtime


def _load(tmp_path: Path, settings: str) -> AppConfig:
    path = tmp_path / "kiemtin.toml"
    path.write_text(f"[settings]\n{settings}\n", encoding="utf-8")
    return load_config(path)


def test_networks_load_normalised(tmp_path: Path) -> None:
    settings = _load(tmp_path, 'allow_networks = ["10.1.2.0/24", "192.0.2.7", "FD00::/8"]').settings
    assert settings.allow_networks == ["10.1.2.0/24", "192.0.2.7/32", "fd00::/8"]
    assert Settings().allow_networks == []


@pytest.mark.parametrize(("value", "expected"), [
    ('["10.1.2.3/24"]', r"settings\.allow_networks: '10\.1\.2\.3/24' is not an IP address"),
    ('["lan.example"]', r"settings\.allow_networks: 'lan\.example' is not an IP address"),
    ('"10.0.0.0/8"', r"settings\.allow_networks: .*valid list"),
])
def test_a_bad_network_names_the_field(tmp_path: Path, value: str, expected: str) -> None:
    with pytest.raises(ConfigError, match=expected):
        _load(tmp_path, f"allow_networks = {value}")


@pytest.mark.parametrize(("value", "expected"), [
    ("true", r"settings: allow_private_networks is no longer a setting; write allow_networks = \["),
    ("false", r"settings: allow_private_networks is no longer a setting; remove it"),
])
def test_the_old_switch_says_what_to_write_instead(tmp_path: Path, value: str, expected: str) -> None:
    with pytest.raises(ConfigError, match=expected) as info:
        _load(tmp_path, f"allow_private_networks = {value}")
    assert "kiemtin.toml" in str(info.value)


def test_crawl_settings_get_the_networks_and_check_them(tmp_path: Path) -> None:
    config = _load(tmp_path, f'database_url = "sqlite:///{tmp_path}/k.db"\nallow_networks = ["10.1.2.0/24"]')
    runtime = Runtime.open(config, migrate=False)
    try:
        assert runtime.crawl_settings().allow_networks == ("10.1.2.0/24",)
    finally:
        runtime.close()
    with pytest.raises(ValueError, match="allow_networks: 'nonsense' is not an IP address"):
        CrawlSettings(user_agent="kiemtin-test/0.1", allow_networks=("nonsense",))


def test_the_demo_allows_only_its_replay_server() -> None:
    config = demo_config("http://127.0.0.1:8765/feed.xml", database_url="sqlite://", step_seconds=20)
    allowed = config.settings.allow_networks
    assert allowed == ["127.0.0.1/32"]
    check_source_url("http://127.0.0.1:8765/feed.xml", allowed)
    for lan in ("http://192.168.1.10/rss", "http://10.0.0.5:8080/feed", "http://127.0.0.2:8765/feed.xml"):
        with pytest.raises(BlockedAddress, match="non-public address"):
            check_source_url(lan, allowed)


def test_the_demo_crawler_refuses_a_lan_host(tmp_path: Path) -> None:
    """At crawl time too: a name that resolves into the LAN (a fake resolver; nothing is connected to)."""
    config = demo_config("http://127.0.0.1:8765/feed.xml", database_url=f"sqlite:///{tmp_path}/d.db",
                         step_seconds=20)
    runtime = Runtime.open(config, migrate=False)
    settings = runtime.crawl_settings()
    runtime.close()

    async def lan_dns(host: str, port: int) -> list[str]:
        return ["192.168.1.10"]

    async def fetch() -> None:
        async with Fetcher(settings, resolve=lan_dns) as f:
            await f.get("http://nas.example/feed.xml")

    with pytest.raises(BlockedAddress, match="nas.example resolves to non-public address 192.168.1.10"):
        asyncio.run(fetch())
