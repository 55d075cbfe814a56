"""Export file writers, one per format, each writing row by row (nothing is held in memory).

- CSV: UTF-8 with a byte-order mark (so spreadsheet programs read Vietnamese correctly), RFC 4180 quoting, CRLF.
- JSON Lines: UTF-8, one object per line with the column names as keys; text is written as is.
- xlsx: xlsxwriter in ``constant_memory`` mode; every text cell is written with ``write_string`` (never a
  formula, URL or number), ids as numbers.

Spreadsheet formula injection (OWASP "CSV Injection" and its testing guide): in CSV and xlsx, a text cell that
starts with ``=``, ``+``, ``-``, ``@``, their fullwidth forms ``＝ ＋ － ＠`` (read as formulas in some locales), ``|``
(DDE), ``%``, a tab, a carriage return or a line feed is prefixed with an apostrophe (``'``); so is a cell whose
leading whitespace hides one of them (LibreOffice's "trim spaces" CSV import turns `` =1+1`` into a formula).
JSON Lines is not a spreadsheet format and is left as is. The ``text_sha256`` column is always the hash of the
original text, without the prefix.
"""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Protocol

from review.exports.errors import ExportTooLarge
from review.exports.query import COLUMNS

__all__ = ["EXTENSIONS", "MEDIA_TYPES", "XLSX_MAX_ROWS", "file_sha256", "neutralise", "open_writer"]

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20", "|", "%", "\t", "\r", "\n")
_TRIGGER_SET = frozenset(FORMULA_TRIGGERS)
# every character str.isspace() accepts lies below U+3001 (the last is U+3000, the ideographic space)
_WHITESPACE = frozenset(c for c in map(chr, range(0x3001)) if c.isspace())
_CHECK_FIRST = _TRIGGER_SET | _WHITESPACE  # cells starting with anything else are written as they are
XLSX_MAX_ROWS = 1_048_575  # data rows under the header
XLSX_MAX_CELL = 32_767  # characters in one cell
EXTENSIONS = {"csv": "csv", "jsonl": "jsonl", "xlsx": "xlsx"}
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "jsonl": "application/x-ndjson; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def neutralise(value: str) -> str:
    """Prefix with ``'`` a cell that a spreadsheet could read as a formula: one that starts with a trigger, or
    with whitespace and then a trigger."""
    first = value[:1]
    if first in _TRIGGER_SET or (first in _WHITESPACE and value.lstrip()[:1] in _TRIGGER_SET):
        return "'" + value
    return value


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class RowWriter(Protocol):
    rows: int

    def write(self, values: tuple[Any, ...]) -> None: ...

    def close(self) -> None: ...


class _TextWriter:
    def __init__(self, path: Path, bom: bool = False) -> None:
        self.path, self.rows = path, 0
        # "x": never overwrite a kept file; the BOM is written by hand (the utf-8-sig codec is slow per write)
        self._fh: IO[str] = path.open("x", encoding="utf-8", newline="", buffering=1 << 20)
        if bom:
            self._fh.write("\ufeff")

    def close(self) -> None:
        self._fh.close()


class CsvWriter(_TextWriter):
    def __init__(self, path: Path, sheet: str, columns: tuple[str, ...] = COLUMNS) -> None:
        super().__init__(path, bom=True)
        self._csv = csv.writer(self._fh)
        self._csv.writerow(columns)

    def write(self, values: tuple[Any, ...]) -> None:
        self._csv.writerow([  # this runs once per cell: neutralise() only when the first character asks for it
            (neutralise(v) if v[:1] in _CHECK_FIRST else v) if v.__class__ is str else "" if v is None else v
            for v in values
        ])
        self.rows += 1


class JsonlWriter(_TextWriter):
    def __init__(self, path: Path, sheet: str, columns: tuple[str, ...] = COLUMNS) -> None:
        super().__init__(path)
        self._columns = columns

    def write(self, values: tuple[Any, ...]) -> None:
        self._fh.write(json.dumps(dict(zip(self._columns, values, strict=True)), ensure_ascii=False) + "\n")
        self.rows += 1


class XlsxWriter:
    def __init__(self, path: Path, sheet: str, columns: tuple[str, ...] = COLUMNS) -> None:
        import xlsxwriter

        if path.exists():
            raise FileExistsError(f"{path} exists; export files are never overwritten")
        self.path = path
        self._book = xlsxwriter.Workbook(str(path), {
            "constant_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
            "strings_to_urls": False,
        })
        self._bold = self._book.add_format({"bold": True})
        self.next_sheet(sheet, columns)

    def next_sheet(self, sheet: str, columns: tuple[str, ...]) -> None:
        """Go on in a new sheet with its own header row (the rows before stay in the previous sheet)."""
        self.rows = 0
        self._sheet = self._book.add_worksheet(sheet)
        for col, name in enumerate(columns):
            self._sheet.write_string(0, col, name, self._bold)

    def write(self, values: tuple[Any, ...]) -> None:
        if self.rows >= XLSX_MAX_ROWS:
            raise ExportTooLarge("an xlsx sheet holds at most %(n)s rows; choose csv or jsonl, or narrow the filters",
                                 n=format(XLSX_MAX_ROWS, ","))
        self.rows += 1
        row, sheet = self.rows, self._sheet
        for col, value in enumerate(values):
            if value is None:
                continue
            if isinstance(value, str):
                sheet.write_string(row, col, neutralise(value)[:XLSX_MAX_CELL])
            else:
                sheet.write_number(row, col, value)

    def close(self) -> None:
        self._book.close()


_WRITERS: dict[str, type[CsvWriter] | type[JsonlWriter] | type[XlsxWriter]] = {
    "csv": CsvWriter, "jsonl": JsonlWriter, "xlsx": XlsxWriter,
}


class open_writer:  # noqa: N801 - used like open()
    """``with open_writer("csv", path, sheet="takedowns") as w: w.write(values)``; the file is complete on exit."""

    def __init__(self, fmt: str, path: Path, *, sheet: str = "takedowns", columns: tuple[str, ...] = COLUMNS) -> None:
        self._writer = _WRITERS[fmt](path, sheet, columns)

    def __enter__(self) -> CsvWriter | JsonlWriter | XlsxWriter:
        return self._writer

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._writer.close()
