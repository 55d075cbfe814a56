"""The ``kiemtin`` command: one Typer app whose sub-commands are thin adapters over the actions."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from cli.claims import claims_app
from cli.common import set_config_path, set_language
from cli.crawling import crawl, run
from cli.database import db_app
from cli.demo import demo
from cli.exports import export_app
from cli.help import HelpGroup
from cli.models import evaluate, model_app, train
from cli.narratives import alerts_app, narratives_app
from cli.queue import queue_app
from cli.sources import sources_app, status
from cli.takedowns import takedowns_app
from cli.users import users_app
from cli.web import serve
from cli.webhooks import webhooks_app
from cli.worker import worker

__all__ = ["app"]

app = typer.Typer(help="kiemtin: flag possible misinformation in public Vietnamese posts for people to review.",
                  cls=HelpGroup, no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)

ConfigOption = Annotated[
    Path | None, typer.Option("--config", "-c", help="configuration file (default kiemtin.toml or $KIEMTIN_CONFIG)")
]


@app.callback()
def _main(config: ConfigOption = None,
          verbose: Annotated[bool, typer.Option("--verbose", "-v", help="log debug details")] = False,
          lang: Annotated[str | None, typer.Option(
              "--lang", help="language of messages: vi or en (default: the setting ui_language)")] = None) -> None:
    set_config_path(config)
    set_language(lang)
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s", datefmt="%H:%M:%S")
    for noisy in ("httpx", "httpcore", "apscheduler.executors", "apscheduler.scheduler", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


for name, sub in (("db", db_app), ("queue", queue_app), ("users", users_app), ("model", model_app),
                  ("export", export_app), ("sources", sources_app), ("takedowns", takedowns_app),
                  ("claims", claims_app), ("webhooks", webhooks_app), ("narratives", narratives_app),
                  ("alerts", alerts_app)):
    app.add_typer(sub, name=name)
for command in (crawl, run, worker, train, evaluate, serve, demo, status):
    app.command()(command)
