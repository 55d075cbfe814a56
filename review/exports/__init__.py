"""Takedown-list exports: confirmed decisions only, as CSV, JSON Lines or xlsx, with manifests, retractions and
saved profiles per recipient. Pages and commands call the functions in ``review.exports.service``."""

from review.exports.errors import (
    ExportError,
    ExportFileChanged,
    ExportFileError,
    ExportFileMissing,
    ExportFilterError,
    ExportNotFound,
    ExportPermissionError,
    ExportTooLarge,
)
from review.exports.filters import FORMATS, ExportFilters, parse_when
from review.exports.query import COLUMNS
from review.exports.service import (
    ExportFile,
    ExportInfo,
    ExportPreview,
    ProfileInfo,
    delete_profile,
    download_export,
    export_file_bytes,
    get_export,
    get_profile,
    list_exports,
    list_profiles,
    open_export_file,
    preview_export,
    require_exporter,
    run_export,
    save_profile,
)

__all__ = [
    "COLUMNS",
    "FORMATS",
    "ExportError",
    "ExportFile",
    "ExportFileChanged",
    "ExportFileError",
    "ExportFileMissing",
    "ExportFilterError",
    "ExportFilters",
    "ExportInfo",
    "ExportNotFound",
    "ExportPermissionError",
    "ExportPreview",
    "ExportTooLarge",
    "ProfileInfo",
    "delete_profile",
    "download_export",
    "export_file_bytes",
    "get_export",
    "get_profile",
    "list_exports",
    "list_profiles",
    "open_export_file",
    "parse_when",
    "preview_export",
    "require_exporter",
    "run_export",
    "save_profile",
]
