"""Demo only: sign-ins for `kiemtin demo`, with fresh random passwords printed on the console."""

from __future__ import annotations

import secrets

from sqlalchemy import select

from service.runtime import Runtime
from store.audit import record
from store.models import User
from store.users import create_user, hash_password

__all__ = ["DEMO_ACCOUNTS", "demo_users"]

DEMO_ACCOUNTS = (("demo-analyst", "analyst"), ("demo-analyst2", "analyst"), ("demo-reviewer", "reviewer"),
                 ("demo-admin", "admin"))


def demo_users(runtime: Runtime) -> list[tuple[str, str, str]]:
    """Create (or reset the passwords of) the demo accounts; returns (username, role, password)."""
    out = []
    with runtime.db.write() as session:
        for name, role in DEMO_ACCOUNTS:
            password = secrets.token_urlsafe(9)
            user = session.scalar(select(User).where(User.username == name))
            if user is None:
                create_user(session=session, username=name, password=password, role=role, actor="demo")
            else:
                user.password_hash, user.active = hash_password(password), True
                record(session=session, actor="demo", action="user.password_reset", target_type="user",
                       target_id=user.id)
            out.append((name, role, password))
    return out
