"""Extract the strings meant for people from the code and templates into a catalog (``babel.cfg`` says where).

``python -m web.i18n_extract`` merges them into ``web/locale/vi/LC_MESSAGES/messages.po`` (new strings come in
untranslated, gone ones are dropped); tests/web/test_i18n.py fails while any string has no Vietnamese.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

from web.i18n import catalog_path

__all__ = ["KEYWORDS", "extract", "update_catalog"]

ROOT = Path(__file__).resolve().parents[1]
KEYWORDS: dict[str, Any] = {"_": None, "N_": None, "gettext": (2,), "ngettext": (2, 3),  # gettext(language, message)
                            "translate": None}  # cli.common.translate(message)

#: an action's refusal (``review.errors``), a configuration file that cannot be read (``config.ConfigError``) and
#: a value it refuses (``ConfigValueError``) are raised with their sentence as the first argument: extracted too
KEYWORDS.update(dict.fromkeys((
    "ActionError", "NotFound", "NotAllowed", "InvalidInput", "Refused", "Gone", "WrongState", "ExportError",
    "ExportPermissionError", "ExportNotFound", "ExportFilterError", "ExportTooLarge", "NothingToExport",
    "ExportFileError", "ExportFileChanged", "ExportFileMissing", "Phrase", "__init__", "ConfigError",
    "ConfigValueError", "ClassifierError", "ClassifierDataError", "ModelNotFoundError", "Sentence", "SourceError"),
    (1,)))
_SKIP = {".venv", "tests", "research", "bench", "store", ".git", "data", "models"}


def extract(root: Path = ROOT) -> Catalog:
    """Every msgid in the project, with where it is used."""
    with (root / "babel.cfg").open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle, str(root / "babel.cfg"))
    catalog = Catalog(project="kiemtin", charset="utf-8")

    def wanted(dirpath: str) -> bool:
        parts = Path(dirpath).relative_to(root).parts
        return not parts or (parts[0] not in _SKIP and not parts[-1].startswith((".", "__")))

    for filename, lineno, message, comments, context in extract_from_dir(
            root, method_map, options_map, keywords=KEYWORDS, strip_comment_tags=True, directory_filter=wanted):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def update_catalog(language: str = "vi") -> Path:
    """Merge the extracted strings into ``language``'s .po file (kept sorted, without line numbers)."""
    path = catalog_path(language)
    template = extract()
    if path.is_file():
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=language)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        catalog = Catalog(locale=language, project="kiemtin", charset="utf-8")
    catalog.update(template, no_fuzzy_matching=True)
    with path.open("wb") as handle:
        write_po(handle, catalog, sort_output=True, omit_header=False, ignore_obsolete=True, include_lineno=False,
                 width=120)
    return path


if __name__ == "__main__":
    print(update_catalog(sys.argv[1] if len(sys.argv) > 1 else "vi"))
