"""What can go wrong with an export, as exceptions whose message can be shown to a person as is. Each is
also one of the ``review.errors`` kinds, so the adapters translate them like any other action's refusal.

    ExportError                 base class; catch this in a page or a command
    ├── ExportPermissionError   the person may not export (role, disabled, unknown user)      NotAllowed
    ├── ExportNotFound          no such export or profile                                     NotFound
    ├── ExportFilterError       a filter, format or profile value that cannot be used        InvalidInput
    ├── ExportTooLarge          more rows than the format holds (xlsx: 1,048,575)            InvalidInput
    ├── NothingToExport         no row to send: nothing new, nothing matching; not recorded  Refused
    └── ExportFileError         a kept file cannot be handed out again
        ├── ExportFileChanged   it no longer matches the SHA-256 in its manifest             Refused
        └── ExportFileMissing   it is gone                                                    Gone
"""

from __future__ import annotations

from review.errors import ActionError, Gone, InvalidInput, NotAllowed, NotFound, Refused

__all__ = [
    "ExportError",
    "ExportFileChanged",
    "ExportFileError",
    "ExportFileMissing",
    "ExportFilterError",
    "ExportNotFound",
    "ExportPermissionError",
    "ExportTooLarge",
    "NothingToExport",
]


class ExportError(ActionError):
    """Base class of every export error; ``str(exc)`` is a readable sentence."""


class ExportPermissionError(ExportError, NotAllowed):
    """The person may not do this: exports need an active user with the reviewer or admin role."""


class ExportNotFound(ExportError, NotFound):
    """No export or profile with that id or name."""


class ExportFilterError(ExportError, InvalidInput):
    """A filter, date, format or profile field that cannot be used."""


class ExportTooLarge(ExportError, InvalidInput):
    """More rows than the chosen format can hold."""


class NothingToExport(ExportError, Refused):
    """The export would hold no row (nothing new for the profile, or nothing matching): it is not recorded."""


class ExportFileError(ExportError):
    """A kept export file cannot be handed out again."""


class ExportFileChanged(ExportFileError, Refused):
    """The kept file's bytes no longer match the SHA-256 recorded in its manifest."""


class ExportFileMissing(ExportFileError, Gone):
    """The kept file is missing."""
