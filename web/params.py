"""Path and query parameters shared by routes: row ids stay inside the 64-bit range the databases store."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

from store.types import MAX_ID

__all__ = ["OptionalRowIdQuery", "RowId"]

RowId = Annotated[int, Path(ge=1, le=MAX_ID, description="a row id, 1 .. 2**63-1")]
OptionalRowIdQuery = Annotated[int | None, Query(ge=1, le=MAX_ID, description="a row id, 1 .. 2**63-1")]
