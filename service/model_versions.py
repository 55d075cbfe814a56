"""The action that switches the active model, recorded in the audit log (old verdicts keep their version)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from review.actors import Actor, authorize
from review.errors import InvalidInput, NotFound
from review.inputs import checked_text
from store.audit import record

if TYPE_CHECKING:
    from service.runtime import Runtime

__all__ = ["Activation", "activate_model", "may_activate"]


@dataclass(frozen=True)
class Activation:
    version: str
    previous: str | None


def may_activate(runtime: Runtime, actor: Actor) -> None:
    """NotAllowed now rather than after a long training run, when ``actor`` could not activate its result."""
    with runtime.db.session() as session:
        authorize(session, actor, "model.activate")


def activate_model(runtime: Runtime, actor: Actor, version: str, *, reason: str = "") -> Activation:
    """Make ``version`` (a folder under ``models_dir``) the active model. The running processes load it at
    their next start or ``Runtime.reload_model``."""
    from classifier import ClassifierError, ModelNotFoundError, active_version, set_active_version

    reason = checked_text(reason, "the reason", max_length=500)
    models_dir = runtime.models_dir
    with runtime.db.write() as session:
        authorize(session, actor, "model.activate")
        previous = active_version(models_dir)
        try:
            set_active_version(models_dir, version)
        except ModelNotFoundError as exc:
            raise NotFound("%(problem)s; see `kiemtin model list`", problem=exc) from None
        except ClassifierError as exc:
            raise InvalidInput("%(problem)s", problem=exc) from None
        record(session=session, actor=actor.name, action="model.activate", target_type="model", target_id=version,
               previous=previous, reason=reason)
    return Activation(version, previous)
