"""What can go wrong with an export, as exceptions whose message can be shown to a person as is.

    ExportError                 base class; catch this in a page or a command
    ├── ExportPermissionError   the person may not export (role, disabled, unknown user)
    ├── ExportNotFound          no such export or profile
    ├── ExportFilterError       a filter, format or profile value that cannot be used
    ├── ExportTooLarge          more rows than the format holds (xlsx: 1,048,575)
    └── ExportFileError         a kept file is missing or no longer matches the SHA-256 in its manifest
"""

from __future__ import annotations

__all__ = [
    "ExportError",
    "ExportFileError",
    "ExportFilterError",
    "ExportNotFound",
    "ExportPermissionError",
    "ExportTooLarge",
]


class ExportError(Exception):
    """Base class of every export error; ``str(exc)`` is a readable sentence."""


class ExportPermissionError(ExportError):
    """The person may not do this: exports need an active user with the reviewer or admin role."""


class ExportNotFound(ExportError):
    """No export or profile with that id or name."""


class ExportFilterError(ExportError, ValueError):
    """A filter, date, format or profile field that cannot be used."""


class ExportTooLarge(ExportError):
    """More rows than the chosen format can hold."""


class ExportFileError(ExportError):
    """A kept export file is missing, or its bytes no longer match the SHA-256 recorded in its manifest."""
