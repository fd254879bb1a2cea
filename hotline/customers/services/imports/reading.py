"""Reading an import file: .xlsx and .xls through python-calamine, .csv in
UTF-8 (with or without BOM) or GBK. The first non-blank row holds the headers."""

import csv
import datetime
import gc
import io
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext as _
from python_calamine import CalamineWorkbook

from hotline.core.exceptions import InvalidData
from hotline.customers.models import ImportJob

EXTENSIONS = {".xlsx", ".xlsm", ".xls", ".csv"}


@dataclass
class Table:
    headers: list[str]
    rows: list[list]  # data rows without blank ones, cells as read
    encoding: str


def _decode_csv(data: bytes) -> tuple[str, str]:
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("gb18030", errors="replace"), "gbk"


def _read_rows(data: bytes, extension: str) -> tuple[list[list], str]:
    if extension == ".csv":
        text, encoding = _decode_csv(data)
        return list(csv.reader(io.StringIO(text, newline=""))), encoding
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        return workbook.get_sheet_by_index(0).to_python(skip_empty_area=False), ""
    except Exception as exc:
        raise InvalidData(
            _("The workbook could not be read (%(error)s). Save it again as .xlsx and retry.")
            % {"error": str(exc)[:200]}
        ) from exc


def cell_text(value) -> str:
    """A cell as text: 13800138000.0 → "13800138000", dates in ISO form."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time():
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).strip()


def _unique_headers(cells: list) -> list[str]:
    headers: list[str] = []
    for index, cell in enumerate(cells, start=1):
        base = cell_text(cell) or _("Column %(n)d") % {"n": index}
        name, copy = base, 2
        while name in headers:
            name, copy = f"{base} ({copy})", copy + 1
        headers.append(name)
    return headers


def import_file_read(data: bytes, filename: str) -> Table:
    """The table in ``data``, or InvalidData saying why it cannot be imported."""
    extension = Path(filename or "").suffix.lower()
    if extension not in EXTENSIONS:
        raise InvalidData(
            _("“%(name)s” is not an .xlsx, .xls or .csv file.") % {"name": filename},
            details={"file": [_("Unsupported file type.")]},
        )
    if not data:
        raise InvalidData(_("The file is empty."), details={"file": [_("Empty file.")]})
    with gc_paused():
        return _table(*_read_rows(data, extension))


def _table(rows: list[list], encoding: str) -> Table:
    rows = [row for row in rows if any(cell_text(cell) for cell in row)]
    if not rows:
        raise InvalidData(
            _("The file has no header row: put the column names in the first row."),
            details={"file": [_("No header row.")]},
        )
    headers = _unique_headers(rows[0])
    width = len(headers)
    body = [list(row[:width]) + [None] * (width - len(row)) for row in rows[1:]]
    return Table(headers=headers, rows=body, encoding=encoding)


def job_table(job: ImportJob) -> Table:
    """The table of the file uploaded for ``job``, read again."""
    with job.file.open("rb") as handle:
        data = handle.read()
    return import_file_read(data, job.original_name)


@contextmanager
def gc_paused():
    """No garbage collection while a table's million cells are made (they
    make no cycles; each collection would walk all of them)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextmanager
def table_kept_out_of_gc():
    """A read table holds a million cells; every full garbage collection
    would walk them all (3 s of a 100,000-row import). Frozen, they are
    skipped until the run ends."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
