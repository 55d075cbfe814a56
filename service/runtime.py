"""The running system's shared objects: configuration, database and the active model (loaded once)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from config import AppConfig
from crawler import CrawlSettings, Politeness, SourceSpec
from service.malloc_tuning import fix_mmap_threshold
from store import Database
from store.models import Source

if TYPE_CHECKING:
    from classifier import MisinfoModel

__all__ = ["Runtime", "source_spec"]


@dataclass
class Runtime:
    config: AppConfig
    db: Database
    _model: MisinfoModel | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def open(cls, config: AppConfig, *, migrate: bool = True) -> Runtime:
        fix_mmap_threshold()  # a long crawl's memory stays flat (service.malloc_tuning)
        db = Database(config.settings.database_url)
        if migrate:
            db.upgrade()
        return cls(config=config, db=db)

    @property
    def models_dir(self) -> Path:
        return self.config.settings.models_dir

    def model(self) -> MisinfoModel:
        """The active model, loaded on first use and shared by all threads."""
        with self._lock:
            if self._model is None:
                from classifier import load_model

                self._model = load_model(self.models_dir)
            return self._model

    def reload_model(self) -> MisinfoModel:
        from classifier import load_model

        with self._lock:
            self._model = load_model(self.models_dir)
            return self._model

    def threshold(self) -> float:
        configured = self.config.settings.threshold
        return configured if configured is not None else self.model().threshold

    def crawl_settings(self) -> CrawlSettings:
        s = self.config.settings
        return CrawlSettings(
            user_agent=s.user_agent, timeout=s.request_timeout_s, max_bytes=s.max_response_bytes,
            min_delay_s=s.min_delay_s, concurrency_per_host=s.concurrency_per_host,
            allow_networks=tuple(s.allow_networks), max_retries=s.max_retries,
            backoff_base_s=s.backoff_base_s,
        )

    def close(self) -> None:
        self.db.dispose()


def source_spec(source: Source) -> SourceSpec:
    """The crawler's view of a stored source."""
    return SourceSpec(
        name=source.name, kind=source.kind, url=source.url, options=dict(source.options or {}),
        politeness=Politeness(min_delay_s=source.min_delay_s, concurrency=source.concurrency,
                              user_agent=source.user_agent),
    )

