"""Configuration: one TOML file validated with pydantic, environment overrides, crawl schedules."""

from config.schedule import (
    SCHEDULE_ZONE,
    CronSchedule,
    IntervalSchedule,
    QuietHours,
    Schedule,
    parse_schedule,
)
from config.settings import (
    DEFAULT_CONFIG_PATH,
    AppConfig,
    ConfigError,
    Settings,
    SourceConfig,
    format_validation_error,
    load_config,
)

__all__ = [
    "DEFAULT_CONFIG_PATH",
    "SCHEDULE_ZONE",
    "AppConfig",
    "ConfigError",
    "CronSchedule",
    "IntervalSchedule",
    "QuietHours",
    "Schedule",
    "Settings",
    "SourceConfig",
    "format_validation_error",
    "load_config",
    "parse_schedule",
]
