"""Configuration: one TOML file validated with pydantic, environment overrides, crawl schedules."""

from config.problems import ConfigValueError, Sentence, validation_lines
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
    validation_error,
)

__all__ = [
    "DEFAULT_CONFIG_PATH",
    "SCHEDULE_ZONE",
    "AppConfig",
    "ConfigError",
    "ConfigValueError",
    "CronSchedule",
    "IntervalSchedule",
    "QuietHours",
    "Schedule",
    "Sentence",
    "Settings",
    "SourceConfig",
    "format_validation_error",
    "load_config",
    "parse_schedule",
    "validation_error",
    "validation_lines",
]
