"""The review web app (FastAPI + Jinja2 + htmx): ``create_app(runtime)``; ``kiemtin serve`` runs it."""

from web.app import create_app

__all__ = ["create_app"]
