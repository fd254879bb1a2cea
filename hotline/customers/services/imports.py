"""Customer import (CUS-8): read a workbook, map its columns, preview, run.

Reading: .xlsx and .xls through python-calamine, .csv in UTF-8 (with or
without BOM) or GBK. The first row holds the headers.

Running (``customer_import_run``, called by the background task):

- Rows are processed in chunks of ``CHUNK_ROWS``. Each chunk is one
  transaction that writes its customers, phones, addresses and tags and
  advances the job's checkpoint (``processed_rows`` and the counts). A task
  that dies leaves the last chunk unwritten and the checkpoint before it; a
  rerun resumes there. Matching is by phone number against the database, so
  even a chunk replayed after a commit could not create duplicates.
- Duplicates are found by normalised phone number (E.164): rows of the
  file sharing a number become one customer (later rows fill blanks), and a
  row whose number belongs to an existing, not merged customer merges into
  it: blank fields are filled, new phones, addresses and tags are added,
  non-blank fields are never overwritten.
- Matching is global, not limited to the importer's data scope, because a
  scoped match would create a second customer with the same number. A match
  outside the importer's scope is merged the same way (only additions) and
  counted in ``outside_scope_count`` so the importer and their lead see it.
- Permissions are checked once (at start, and again when the task runs),
  not per row: ``customers.import_customer`` and ``customers.add_customer``,
  ``customers.assign_customer`` for another owner, and the field edit rules
  and custom-field roles of every mapped field.
- Customers are written with prepared bulk SQL (``BulkInsert``), not through
  ``customer_create`` (which publishes an event and logs a change per
  customer) nor ``bulk_create`` (~60 µs a row of Python). The change log
  gets one entry per created customer (``{"import": [None, job id]}``) and
  per merged customer (the fields filled, phones, addresses added), written
  in bulk as well. No event is published per customer.
- A row is rejected, with its reason, for: neither a name nor a valid phone;
  a malformed phone (“x” is not a valid phone number); an unknown member
  level, group or ad source; a bad gender, birthday, e-mail or custom field
  value (CustomField.clean_value's message); a missing required custom
  field; a text longer than its field.
- The workbook of rejected rows is written at the end. Rows before a resumed
  checkpoint are validated again to list their rejects, so a rerun's
  workbook is complete (should a group or level have been added between the
  crash and the rerun, those earlier rows are listed by today's rules).
"""

import csv
import datetime
import gc
import hashlib
import io
import logging
import re
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache, partial
from pathlib import Path

import phonenumbers
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.validators import validate_email
from django.db import connection, models, transaction
from django.db.models.constants import OnConflict
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from phonenumbers import carrier, geocoder
from python_calamine import CalamineWorkbook

from hotline.core.exceptions import Conflict, DomainError, InvalidData, NotAllowed
from hotline.core.models import CustomFieldType, ObjectChange
from hotline.core.permissions import fields_not_editable, require_perm
from hotline.core.phones import KIND_BY_TYPE, PhoneInfo, default_region, phone_info
from hotline.customers.models import (
    AdSource,
    Customer,
    CustomerAddress,
    CustomerGroup,
    CustomerPhone,
    CustomerTag,
    ImportJob,
    ImportMapping,
    MemberLevel,
)
from hotline.customers.services.customers import birthday_key

logger = logging.getLogger(__name__)

CHUNK_ROWS = 2000
PREVIEW_ROWS = 20
EXTENSIONS = {".xlsx", ".xlsm", ".xls", ".csv"}
# Column targets; "phone" may be chosen for several columns.
FIELD_TARGETS = [
    "name",
    "phone",
    "gender",
    "birthday",
    "email",
    "province",
    "city",
    "district",
    "address",
    "level",
    "group",
    "source",
    "tags",
    "notes",
]
SYNONYMS = {
    "name": "姓名 名字 客户 客户名 客户名称 客户姓名 联系人 name customer fullname customername",
    "phone": "手机 手机号 手机号码 电话 电话号码 联系电话 联系方式 移动电话 固话 座机 号码 "
    "phone mobile tel telephone cell cellphone phonenumber mobilephone number",
    "gender": "性别 gender sex",
    "birthday": "生日 出生日期 出生年月日 出生年月 birthday birthdate dateofbirth dob",
    "email": "邮箱 电子邮箱 电子邮件 邮件 email mail",
    "province": "省 省份 province state",
    "city": "市 城市 地市 city",
    "district": "区 区县 县区 区/县 县 district county",
    "address": "地址 详细地址 收货地址 住址 街道 address street detail",
    "level": "等级 会员等级 级别 会员级别 level memberlevel",
    "group": "分组 客户分组 组 群组 group",
    "source": "来源 广告来源 客户来源 媒体 source adsource",
    "tags": "标签 tags tag",
    "notes": "备注 说明 notes note remark remarks comment comments",
}
GENDERS = {
    "男": "m",
    "男性": "m",
    "先生": "m",
    "m": "m",
    "male": "m",
    "女": "f",
    "女性": "f",
    "女士": "f",
    "f": "f",
    "female": "f",
    "未知": "",
    "unknown": "",
}
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日")
# A phone cell may hold digits and these; anything else (letters) makes it malformed.
PHONE_CHARACTERS = set("0123456789+-() .")
TAG_SEPARATORS = re.compile(r"[,，、;；]+")
ADDRESS_TARGETS = ("province", "city", "district", "address")
SCALAR_FIELDS = ("gender", "birthday", "email", "level_id", "group_id", "source_id", "notes")


# --- Reading --------------------------------------------------------------------


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
    with _gc_paused():
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


def _job_table(job: ImportJob) -> Table:
    with job.file.open("rb") as handle:
        data = handle.read()
    return import_file_read(data, job.original_name)


# --- Mapping --------------------------------------------------------------------


def _custom_fields() -> dict:
    return {d.name: d for d in Customer.custom_field_definitions()}


def import_targets() -> list[tuple[str, str]]:
    """(target, label) for each field a column may be mapped to."""
    labels = {
        "name": _("Name"),
        "phone": _("Phone"),
        "gender": _("Gender"),
        "birthday": _("Birthday"),
        "email": _("E-mail"),
        "province": _("Province"),
        "city": _("City"),
        "district": _("District"),
        "address": _("Address"),
        "level": _("Member level"),
        "group": _("Group"),
        "source": _("Source"),
        "tags": _("Tags"),
        "notes": _("Notes"),
    }
    targets = [(name, labels[name]) for name in FIELD_TARGETS]
    targets += [(f"cf.{d.name}", d.display_label) for d in _custom_fields().values()]
    return targets


def _header_word(header: str) -> str:
    word = re.sub(r"[\s_\-.:：()（）#*]+", "", header.lower())
    return word.rstrip("0123456789") or word


def headers_key(headers: list[str]) -> str:
    return hashlib.sha256("\x1f".join(headers).encode()).hexdigest()


def _synonym_index() -> dict[str, str]:
    index = {}
    for target, words in SYNONYMS.items():
        for word in words.split():
            index[_header_word(word)] = target
    for definition in _custom_fields().values():
        for word in (definition.name, definition.label, definition.label_en):
            if word:
                index[_header_word(word)] = f"cf.{definition.name}"
    return index


def import_mapping_suggest(*, actor, headers: list[str]) -> tuple[dict[str, str], bool]:
    """A mapping header → target for ``headers``, and whether it is the one
    ``actor`` chose last time for the same headers (else guessed from names)."""
    valid = {target for target, _label in import_targets()}
    remembered = ImportMapping.objects.filter(user=actor, headers_key=headers_key(headers)).first()
    if remembered is not None:
        mapping = {h: t for h, t in remembered.mapping.items() if h in headers and t in valid}
        return mapping, True
    index = _synonym_index()
    mapping: dict[str, str] = {}
    for header in headers:
        target = index.get(_header_word(header))
        if target and (target == "phone" or target not in mapping.values()):
            mapping[header] = target
    return mapping, False


def _clean_mapping(headers: list[str], mapping: dict) -> dict[str, str]:
    valid = {target for target, _label in import_targets()}
    cleaned = {}
    for header, target in (mapping or {}).items():
        if not target:
            continue
        if header not in headers:
            raise InvalidData(
                _("The file has no column “%(header)s”.") % {"header": header},
                details={"mapping": [header]},
            )
        if target not in valid:
            raise InvalidData(
                _("Cannot import into “%(target)s”.") % {"target": target},
                details={"mapping": [target]},
            )
        if target != "phone" and target in cleaned.values():
            raise InvalidData(
                _("“%(target)s” is chosen for more than one column.") % {"target": target},
                details={"mapping": [target]},
            )
        cleaned[header] = target
    if not {"name", "phone"} & set(cleaned.values()):
        raise InvalidData(
            _("Choose the column of the name or of the phone number."),
            details={"mapping": [_("Map a name or phone column.")]},
        )
    return cleaned


def _check_mapping_allowed(actor, mapping: dict[str, str]) -> None:
    definitions = _custom_fields()
    missing = [
        d.display_label
        for d in definitions.values()
        if d.required and f"cf.{d.name}" not in mapping.values()
    ]
    if missing:
        raise InvalidData(
            _("Choose a column for the required field(s): %(fields)s.")
            % {"fields": ", ".join(missing)},
            details={"mapping": missing},
        )
    model_fields = {
        "phone": "phones",
        "province": "addresses",
        "city": "addresses",
        "district": "addresses",
        "address": "addresses",
    }
    names = {model_fields.get(t, t) for t in mapping.values() if not t.startswith("cf.")}
    refused = fields_not_editable(actor, Customer, names)
    role_ids = set(actor.roles.values_list("pk", flat=True))
    for target in mapping.values():
        definition = definitions.get(target[3:]) if target.startswith("cf.") else None
        allowed = {r.pk for r in definition.editable_by_roles.all()} if definition else set()
        if allowed and not actor.is_superuser and not allowed & role_ids:
            refused.append(definition.display_label)
    if refused:
        raise NotAllowed(
            _("You may not change: %(fields)s.") % {"fields": ", ".join(refused)},
            details={"mapping": refused},
        )


# --- Rows -----------------------------------------------------------------------


CN_MOBILE = re.compile(r"(?:\+86|0086|86)?(1[3-9]\d{9})")


@lru_cache(maxsize=1 << 20)  # at most 700,000 prefixes exist
def _mobile_prefix(prefix: str) -> PhoneInfo | None:
    """What phone_info says of the numbers of a Chinese mobile prefix, asked
    of the phonenumbers library directly (~20 µs instead of ~100 µs)."""
    number = phonenumbers.PhoneNumber(country_code=86, national_number=int(prefix + "0000"))
    if not phonenumbers.is_valid_number(number):
        return None
    return PhoneInfo(
        e164="",
        national="",
        kind=KIND_BY_TYPE.get(phonenumbers.number_type(number), "other"),
        location=geocoder.description_for_valid_number(number, "zh"),
        carrier=carrier.name_for_valid_number(number, "zh"),
    )


def _phone(text: str) -> PhoneInfo | None:
    """phone_info(text), with Chinese mobile numbers answered per 7-digit
    prefix (号段): validity, province/city and carrier are the same for the
    10,000 numbers of a prefix in the phonenumbers data (checked on 210,000
    random prefixes and in the tests), and a full parse costs ~60 µs."""
    if default_region() == "CN":
        match = CN_MOBILE.fullmatch("".join(ch for ch in text if ch.isdigit() or ch == "+"))
        if match:
            national = match.group(1)
            template = _mobile_prefix(national[:7])
            if template is None:
                return None
            return PhoneInfo(
                e164="+86" + national,
                national=national,
                kind=template.kind,
                location=template.location,
                carrier=template.carrier,
            )
    return phone_info(text)


def _phone_like(text: str) -> bool:
    return all(ch.isdigit() or ch in PHONE_CHARACTERS or ch.isspace() for ch in text)


class RowRejected(Exception):
    pass


@dataclass
class Draft:
    """One customer as the rows of a file describe it."""

    lines: list[int]
    name: str = ""
    phones: dict[str, PhoneInfo] = field(default_factory=dict)
    fields: dict = field(default_factory=dict)
    addresses: list[tuple] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    cf: dict = field(default_factory=dict)

    def absorb(self, other: "Draft") -> None:
        """Fill blanks from ``other`` and add its phones, addresses and tags."""
        self.lines += other.lines
        self.name = self.name or other.name
        for number, info in other.phones.items():
            self.phones.setdefault(number, info)
        for key, value in other.fields.items():
            if self.fields.get(key) in (None, ""):
                self.fields[key] = value
        self.addresses += [a for a in other.addresses if a not in self.addresses]
        self.tags += [t for t in other.tags if t not in self.tags]
        for key, value in other.cf.items():
            self.cf.setdefault(key, value)


# (model, field, label) of the text a row may give, with their length limits.
LIMITED = {
    "name": (Customer, "name", gettext_lazy("Name")),
    "email": (Customer, "email", gettext_lazy("E-mail")),
    "tag": (CustomerTag, "name", gettext_lazy("Tag")),
    "province": (CustomerAddress, "province", gettext_lazy("Province")),
    "city": (CustomerAddress, "city", gettext_lazy("City")),
    "district": (CustomerAddress, "district", gettext_lazy("District")),
    "address": (CustomerAddress, "detail", gettext_lazy("Address")),
}


@lru_cache
def _max_length(key: str) -> int:
    model, name, _label = LIMITED[key]
    return model._meta.get_field(name).max_length


def _limit(text: str, key: str) -> str:
    limit = _max_length(key)
    if len(text) > limit:
        raise RowRejected(
            _("%(field)s is longer than %(n)d characters.") % {"field": LIMITED[key][2], "n": limit}
        )
    return text


def _birthday(value, text: str):
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    for pattern in DATE_FORMATS:
        try:
            return datetime.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise RowRejected(_("“%(value)s” is not a date like 1980-01-31.") % {"value": text})


def _custom_raw(definition, value, text: str):
    """The cell in the form CustomField.clean_value expects for its type."""
    kind = definition.field_type
    if kind == CustomFieldType.DATE and isinstance(value, datetime.date):
        return value.date() if isinstance(value, datetime.datetime) else value
    if kind == CustomFieldType.NUMBER and isinstance(value, int | float):
        return value
    if kind == CustomFieldType.MULTI_CHOICE:
        return [part.strip() for part in TAG_SEPARATORS.split(text) if part.strip()]
    return text


class RowParser:
    """Turns the cells of one row into a Draft, or raises RowRejected."""

    def __init__(self, headers: list[str], mapping: dict[str, str]):
        self.columns = [(headers.index(h), t, self._handler(t)) for h, t in mapping.items()]
        self.custom = _custom_fields()
        mapped = {t[3:] for t in mapping.values() if t.startswith("cf.")}
        self.required = [n for n, d in self.custom.items() if d.required and n in mapped]
        self.levels = {}
        for level in MemberLevel.objects.all():
            for key in (level.code, level.name, level.name_en):
                if key:
                    self.levels.setdefault(key.lower(), level.pk)
        self.groups = dict(CustomerGroup.objects.values_list("name", "pk"))
        self.sources = {}
        for name, pk in AdSource.objects.order_by("-active", "pk").values_list("name", "pk"):
            self.sources.setdefault(name, pk)

    def parse(self, line: int, cells: list) -> Draft:
        draft = Draft(lines=[line])
        address = dict.fromkeys(ADDRESS_TARGETS, "")
        for index, target, handler in self.columns:
            value = cells[index]
            text = cell_text(value)
            if not text:
                continue
            if handler is None:
                address[target] = text
            else:
                handler(draft, value, text)
        if not draft.name and not draft.phones:
            raise RowRejected(_("The row has neither a name nor a phone number."))
        if any(address.values()):
            draft.addresses.append(self._address(address))
        for name in self.required:
            if name not in draft.cf:
                label = self.custom[name].display_label
                raise RowRejected(_("%(field)s is required.") % {"field": label})
        return draft

    def _handler(self, target: str):
        """The function that puts a cell of ``target`` on a draft (None: address parts)."""
        if target in ADDRESS_TARGETS:
            return None
        if target in ("name", "phone", "tags"):
            return getattr(self, f"_put_{target}")
        if target.startswith("cf."):
            return partial(self._put_custom, target[3:])
        clean = getattr(self, f"_{target}")

        def put(draft: Draft, value, text: str) -> None:
            key, cleaned = clean(value, text)
            draft.fields[key] = cleaned

        return put

    def _put_name(self, draft: Draft, value, text: str) -> None:
        draft.name = _limit(text, "name")

    def _put_phone(self, draft: Draft, value, text: str) -> None:
        info = _phone(text) if _phone_like(text) else None
        if info is None:
            raise RowRejected(_("“%(number)s” is not a valid phone number.") % {"number": text})
        draft.phones.setdefault(info.e164, info)

    def _put_tags(self, draft: Draft, value, text: str) -> None:
        for tag in TAG_SEPARATORS.split(text):
            tag = _limit(tag.strip(), "tag")
            if tag and tag not in draft.tags:
                draft.tags.append(tag)

    def _put_custom(self, key: str, draft: Draft, value, text: str) -> None:
        definition = self.custom[key]
        try:
            draft.cf[key] = definition.clean_value(_custom_raw(definition, value, text))
        except ValidationError as exc:
            raise RowRejected(" ".join(exc.messages)) from exc

    def _gender(self, value, text):
        gender = GENDERS.get(text.lower())
        if gender is None:
            raise RowRejected(_("“%(value)s” is not a gender (男 or 女).") % {"value": text})
        return "gender", gender

    def _birthday(self, value, text):
        return "birthday", _birthday(value, text)

    def _email(self, value, text):
        try:
            validate_email(text)
        except ValidationError as exc:
            raise RowRejected(_("“%(value)s” is not an e-mail address.") % {"value": text}) from exc
        return "email", _limit(text, "email")

    def _lookup(self, table: dict, text: str, message: str):
        found = table.get(text)
        if found is None:
            raise RowRejected(message % {"value": text})
        return found

    def _level(self, value, text):
        return "level_id", self._lookup(
            self.levels, text.lower(), _("There is no member level “%(value)s”.")
        )

    def _group(self, value, text):
        return "group_id", self._lookup(
            self.groups, text, _("There is no customer group “%(value)s”.")
        )

    def _source(self, value, text):
        return "source_id", self._lookup(
            self.sources, text, _("There is no ad source “%(value)s”.")
        )

    def _notes(self, value, text):
        return "notes", text

    def _address(self, parts: dict) -> tuple:
        return tuple(_limit(parts[key], key) for key in ADDRESS_TARGETS)


# --- Upload, preview, start -----------------------------------------------------


def _require_import(actor) -> None:
    require_perm(actor, "customers.import_customer")
    require_perm(actor, "customers.add_customer")


@transaction.atomic
def import_upload(*, actor, file, filename: str) -> ImportJob:
    """A new import job for the uploaded ``file``; an unreadable file raises
    InvalidData and nothing is saved."""
    _require_import(actor)
    data = file.read()
    table = import_file_read(data, filename)
    job = ImportJob(
        created_by=actor,
        original_name=Path(filename).name[:255],
        encoding=table.encoding,
        headers=table.headers,
        total_rows=len(table.rows),
    )
    job.file.save(Path(filename).name, ContentFile(data), save=False)
    job.save()
    return job


def _line(index: int) -> int:
    """The row number a person sees in the sheet (row 1 holds the headers)."""
    return index + 2


def import_preview(*, actor, job: ImportJob, mapping: dict, limit: int = PREVIEW_ROWS):
    """The first rows as they would be imported: (line, Draft or None, reason)."""
    _require_import(actor)
    mapping = _clean_mapping(job.headers, mapping)
    parser = RowParser(job.headers, mapping)
    preview = []
    for index, cells in enumerate(_job_table(job).rows[:limit]):
        try:
            preview.append((_line(index), parser.parse(_line(index), cells), ""))
        except RowRejected as exc:
            preview.append((_line(index), None, str(exc)))
    return preview


def _check_owner(actor, owner):
    if owner is None or owner.pk == actor.pk:
        return owner
    require_perm(actor, "customers.assign_customer")
    if not owner.is_active:
        raise InvalidData(
            _("%(user)s is not an active user.") % {"user": owner},
            details={"owner": [_("Inactive user.")]},
        )
    return owner


@transaction.atomic
def import_start(*, actor, job: ImportJob, mapping: dict, owner=None) -> ImportJob:
    """Save the mapping (remembered for the same headers) and queue the job."""
    _require_import(actor)
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.created_by_id != actor.pk:
        raise NotAllowed(_("Only the person who uploaded the file may start its import."))
    if job.status != ImportJob.Status.UPLOADED:
        raise Conflict(_("This import was already started."))
    job.mapping = _clean_mapping(job.headers, mapping)
    _check_mapping_allowed(actor, job.mapping)
    job.owner = _check_owner(actor, owner)
    job.status = ImportJob.Status.QUEUED
    job.save(update_fields=["mapping", "owner", "status"])
    ImportMapping.objects.update_or_create(
        user=actor, headers_key=headers_key(job.headers), defaults={"mapping": job.mapping}
    )
    _enqueue(job)
    return job


@transaction.atomic
def import_resume(*, actor, job: ImportJob) -> ImportJob:
    """Queue a failed job again; it resumes at its checkpoint."""
    _require_import(actor)
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.created_by_id != actor.pk:
        raise NotAllowed(_("Only the person who uploaded the file may start its import."))
    if job.status != ImportJob.Status.FAILED:
        raise Conflict(_("Only a failed import can be resumed."))
    job.status = ImportJob.Status.QUEUED
    job.error = ""
    job.save(update_fields=["status", "error"])
    _enqueue(job)
    return job


def _enqueue(job: ImportJob) -> None:
    from hotline.customers.tasks import customer_import

    transaction.on_commit(lambda: customer_import.enqueue(job.pk))


# --- Run ------------------------------------------------------------------------


@dataclass
class Outcome:
    created: int = 0
    merged: int = 0
    outside_scope: int = 0


@dataclass
class Chunk:
    start: int
    size: int
    drafts: list[Draft]
    rejected: list  # (cells, reason)


def _parse_chunk(parser: RowParser, rows: list, start: int) -> Chunk:
    """The drafts of the rows; rows sharing a phone number make one draft."""
    chunk = Chunk(start=start, size=len(rows), drafts=[], rejected=[])
    by_number: dict[str, Draft] = {}
    for offset, cells in enumerate(rows):
        try:
            row = parser.parse(_line(start + offset), cells)
        except RowRejected as exc:
            chunk.rejected.append((cells, str(exc)))
            continue
        _group(chunk.drafts, by_number, row)
    return chunk


def _group(drafts: list[Draft], by_number: dict[str, Draft], row: Draft) -> None:
    target = next((by_number[n] for n in row.phones if n in by_number), None)
    if target is None:
        drafts.append(row)
        target = row
    else:
        # A number already taken by another draft stays with that draft.
        row.phones = {
            n: info for n, info in row.phones.items() if by_number.get(n, target) is target
        }
        target.absorb(row)
    for number in row.phones:
        by_number.setdefault(number, target)


@contextmanager
def _gc_paused():
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
def _table_kept_out_of_gc():
    """A read table holds a million cells; every full garbage collection
    would walk them all (3 s of a 100,000-row import). Frozen, they are
    skipped until the run ends."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


class BulkInsert:
    """INSERTs rows of one model straight through the cursor. Django's
    bulk_create spends some 60 µs a row building instances and compiling SQL,
    most of a large import's time; here a row is a tuple of the ``names``
    columns, and the other columns take their field's default, prepared once."""

    def __init__(self, model, names: list[str]):
        opts = model._meta
        given = [opts.get_field(name) for name in names]
        others = [f for f in opts.concrete_fields if not f.primary_key and f not in given]
        now = timezone.now()
        self.constants = tuple(
            f.get_db_prep_save(now if _is_auto_now(f) else f.get_default(), connection)
            for f in others
        )
        self.converters = [(i, c) for i, f in enumerate(given) if (c := _converter(f))]
        quote = connection.ops.quote_name
        self.table = quote(opts.db_table)
        self.columns = ", ".join(quote(f.column) for f in given + others)
        self.placeholder = "(" + ", ".join(["%s"] * (len(given) + len(others))) + ")"
        self.pk = quote(opts.pk.column)
        self.width = len(given) + len(others)

    def _prepared(self, rows) -> list[tuple]:
        constants = self.constants
        if not self.converters:
            return [tuple(row) + constants for row in rows]
        prepared = []
        for row in rows:
            row = list(row)
            for index, convert in self.converters:
                row[index] = convert(row[index])
            prepared.append(tuple(row) + constants)
        return prepared

    def insert(self, rows, *, ignore_conflicts: bool = False) -> None:
        if not rows:
            return
        conflict = OnConflict.IGNORE if ignore_conflicts else None
        sql = (
            f"{connection.ops.insert_statement(on_conflict=conflict)} {self.table} "
            f"({self.columns}) VALUES {self.placeholder} "
            f"{connection.ops.on_conflict_suffix_sql([], conflict, [], []) if conflict else ''}"
        )
        with connection.cursor() as cursor:
            cursor.executemany(sql, self._prepared(rows))

    def insert_returning_pks(self, rows) -> list[int]:
        """Multi-row INSERT … RETURNING, as bulk_create does (same row order)."""
        prepared = self._prepared(rows)
        size = max(1, min(1000, _max_query_params() // self.width))
        pks: list[int] = []
        with connection.cursor() as cursor:
            for start in range(0, len(prepared), size):
                batch = prepared[start : start + size]
                values = ", ".join([self.placeholder] * len(batch))
                # Table and column names come from the model; values are parameters.
                cursor.execute(
                    f"INSERT INTO {self.table} ({self.columns}) VALUES {values} "  # noqa: S608
                    f"RETURNING {self.pk}",
                    [value for row in batch for value in row],
                )
                pks += [row[0] for row in cursor.fetchall()]
        return pks


def _select_in(model, names: list[str], key: str, values: list) -> list[tuple]:
    """Rows (of the ``names`` columns) whose ``key`` is one of ``values``: the
    ORM spends ~6 µs preparing each value of a long IN list."""
    opts = model._meta
    quote = connection.ops.quote_name
    columns = ", ".join(quote(opts.get_field(name).column) for name in names)
    size = max(1, _max_query_params() - 1)
    found: list[tuple] = []
    with connection.cursor() as cursor:
        for start in range(0, len(values), size):
            batch = values[start : start + size]
            cursor.execute(
                f"SELECT {columns} FROM {quote(opts.db_table)} "  # noqa: S608
                f"WHERE {quote(opts.get_field(key).column)} IN ({', '.join(['%s'] * len(batch))})",
                batch,
            )
            found += cursor.fetchall()
    return found


def _update_rows(objects: list, names: list[str]) -> None:
    """UPDATE the ``names`` fields of ``objects`` with one prepared statement
    (bulk_update builds a CASE per object and field, slow for thousands)."""
    if not objects:
        return
    opts = type(objects[0])._meta
    fields = [opts.get_field(name) for name in names]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
    sql = f"UPDATE {quote(opts.db_table)} SET {assignments} WHERE {quote(opts.pk.column)} = %s"  # noqa: S608
    rows = [
        (*(f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields), obj.pk)
        for obj in objects
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _is_auto_now(field) -> bool:
    return getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)


def _converter(field):
    if isinstance(field, models.JSONField):
        empty = field.get_db_prep_save({}, connection)
        return lambda value: field.get_db_prep_save(value, connection) if value else empty
    if isinstance(field, models.DateField | models.DecimalField):
        return lambda value: field.get_db_prep_save(value, connection)
    return None


def _max_query_params() -> int:
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        return connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    return connection.features.max_query_params or 65535


CUSTOMER_COLUMNS = [
    "name",
    "owner_id",
    "custom_fields",
    "birthday_md",
    "gender",
    "birthday",
    "email",
    "level_id",
    "group_id",
    "source_id",
    "notes",
]
FIELD_BLANKS = {"gender": "", "birthday": None, "email": "", "notes": ""}
PHONE_COLUMNS = ["customer", "number", "national", "kind", "location", "carrier", "is_primary"]
ADDRESS_COLUMNS = ["customer", "province", "city", "district", "detail", "is_default"]
CHANGE_COLUMNS = ["actor", "content_type", "object_id", "object_repr", "action", "changes"]


class ChunkWriter:
    """Writes the drafts of one chunk: merges into existing customers, then
    creates the rest, with a handful of statements whatever the chunk's size."""

    def __init__(self, job: ImportJob, actor, tag_ids: dict[str, int]):
        self.job = job
        self.actor = actor
        self.tag_ids = tag_ids
        self.owner_id = job.owner_id or job.created_by_id
        self.phones: list[tuple] = []
        self.addresses: list[tuple] = []
        self.tag_links: set[tuple[int, str]] = set()
        self.changes: list[tuple] = []
        self.content_type_id = ContentType.objects.get_for_model(Customer).pk

    def write(self, drafts: list[Draft], outcome: Outcome) -> None:
        owners = self._phone_owners([n for d in drafts for n in d.phones])
        matched: dict[int, list[Draft]] = {}
        new: list[Draft] = []
        for draft in drafts:
            customer_id = next((owners[n] for n in draft.phones if n in owners), None)
            if customer_id is None:
                new.append(draft)
            else:
                matched.setdefault(customer_id, []).append(draft)
        self._merge(matched, owners, outcome)
        self._create(new, outcome)
        self._flush()

    @staticmethod
    def _phone_owners(numbers: list[str]) -> dict[str, int]:
        """number → current (not merged) customer. Two plain queries: joined
        with the customers, SQLite would scan every customer."""
        if not numbers:
            return {}
        found = _select_in(CustomerPhone, ["number", "customer"], "number", numbers)
        merged = set(
            Customer.objects.filter(
                pk__in={pk for _n, pk in found}, merged_into__isnull=False
            ).values_list("pk", flat=True)
        )
        return {number: pk for number, pk in found if pk not in merged}

    def _merge(self, matched: dict[int, list[Draft]], owners: dict, outcome: Outcome) -> None:
        if not matched:
            return
        customers = Customer.objects.in_bulk(list(matched))
        in_scope = set(
            Customer.objects.restrict(self.actor, "change")
            .filter(pk__in=list(matched))
            .values_list("pk", flat=True)
        )
        known: dict[int, set[tuple]] = {}
        addresses = CustomerAddress.objects.filter(customer_id__in=list(matched))
        for customer_id, *parts in addresses.values_list(
            "customer_id", "province", "city", "district", "detail"
        ):
            known.setdefault(customer_id, set()).add(tuple(parts))
        changed: set[str] = set()
        updated: list[Customer] = []
        for customer_id, drafts in matched.items():
            customer = customers[customer_id]
            rows = sum(len(d.lines) for d in drafts)
            outcome.merged += rows
            if customer_id not in in_scope:
                outcome.outside_scope += rows
            for draft in drafts:
                filled = self._fill(customer, draft, changed)
                if filled and (not updated or updated[-1] is not customer):
                    updated.append(customer)
                changes = {**filled, **self._additions(customer, draft, owners, known)}
                if changes:
                    self._log(customer.pk, customer.name, ObjectChange.Action.UPDATE, changes)
        _update_rows(updated, sorted(changed | {"updated_at"}))

    def _fill(self, customer: Customer, draft: Draft, changed: set) -> dict:
        changes = {}
        values = {"name": draft.name, **draft.fields}
        for key, value in values.items():
            if value not in (None, "") and getattr(customer, key) in (None, ""):
                changes[key.removesuffix("_id")] = [None, str(value)]
                setattr(customer, key, value)
                changed.add(key.removesuffix("_id"))
        if "birthday" in changes:
            customer.birthday_md = birthday_key(customer.birthday)
            changed.add("birthday_md")
        for key, value in draft.cf.items():
            if value not in (None, "", []) and customer.custom_fields.get(key) in (None, "", []):
                customer.custom_fields = {**customer.custom_fields, key: value}
                changes[f"cf.{key}"] = [None, value]
                changed.add("custom_fields")
        if changes:
            customer.updated_at = timezone.now()
        return changes

    def _additions(self, customer: Customer, draft: Draft, owners: dict, known: dict) -> dict:
        changes = {}
        added = [n for n in draft.phones if n not in owners]
        for number in added:
            owners[number] = customer.pk
            self.phones.append(_phone_row(customer.pk, draft.phones[number], False))
        if added:
            changes["phones"] = [None, ", ".join(added)]
        addresses = known.setdefault(customer.pk, set())
        for parts in draft.addresses:
            if parts not in addresses:
                self.addresses.append((customer.pk, *parts, not addresses))
                addresses.add(parts)
                text = " ".join(p for p in parts if p)
                changes.setdefault("addresses", [None, []])[1].append(text)
        for tag in draft.tags:
            self.tag_links.add((customer.pk, tag))
        return changes

    def _create(self, drafts: list[Draft], outcome: Outcome) -> None:
        if not drafts:
            return
        rows = [self._customer_row(draft) for draft in drafts]
        pks = BulkInsert(Customer, CUSTOMER_COLUMNS).insert_returning_pks(rows)
        outcome.created += len(drafts)
        outcome.merged += sum(len(d.lines) - 1 for d in drafts)
        for pk, row, draft in zip(pks, rows, drafts, strict=True):
            for index, info in enumerate(draft.phones.values()):
                self.phones.append(_phone_row(pk, info, index == 0))
            for index, parts in enumerate(draft.addresses):
                self.addresses.append((pk, *parts, index == 0))
            for tag in draft.tags:
                self.tag_links.add((pk, tag))
            self._log(pk, row[0], ObjectChange.Action.CREATE, {"import": [None, self.job.pk]})

    def _customer_row(self, draft: Draft) -> tuple:
        first_phone = next(iter(draft.phones.values()), None)
        name = draft.name or (first_phone.national if first_phone else "")
        fields = draft.fields
        return (
            name,
            self.owner_id,
            draft.cf,
            birthday_key(fields.get("birthday")),
            *(fields.get(key, FIELD_BLANKS.get(key)) for key in CUSTOMER_COLUMNS[4:]),
        )

    def _log(self, pk: int, name: str, action: str, changes: dict) -> None:
        self.changes.append(
            (self.actor.pk, self.content_type_id, str(pk), name[:200], action, changes)
        )

    def _flush(self) -> None:
        BulkInsert(CustomerPhone, PHONE_COLUMNS).insert(self.phones)
        BulkInsert(CustomerAddress, ADDRESS_COLUMNS).insert(self.addresses)
        self._link_tags()
        BulkInsert(ObjectChange, CHANGE_COLUMNS).insert(self.changes)

    def _link_tags(self) -> None:
        if not self.tag_links:
            return
        names = {tag for _pk, tag in self.tag_links} - set(self.tag_ids)
        if names:
            CustomerTag.objects.bulk_create(
                [CustomerTag(name=n) for n in names], ignore_conflicts=True
            )
            self.tag_ids.update(
                CustomerTag.objects.filter(name__in=names).values_list("name", "pk")
            )
        links = [(pk, self.tag_ids[tag]) for pk, tag in self.tag_links]
        BulkInsert(Customer.tags.through, ["customer", "customertag"]).insert(
            links, ignore_conflicts=True
        )


def _phone_row(customer_id: int, info: PhoneInfo, primary: bool) -> tuple:
    return (
        customer_id,
        info.e164,
        info.national,
        info.kind,
        info.location,
        info.carrier,
        primary,
    )


class CheckpointMoved(Exception):
    """Another run of the same job advanced its checkpoint: stop this one."""


def _write_chunk(job: ImportJob, actor, chunk: Chunk, tag_ids: dict) -> Outcome:
    """The chunk's customers and the job's checkpoint, in one transaction."""
    outcome = Outcome()
    with transaction.atomic():
        checkpoint = ImportJob.objects.filter(pk=job.pk).values_list("processed_rows", flat=True)
        if checkpoint.get() != chunk.start:
            raise CheckpointMoved
        ChunkWriter(job, actor, tag_ids).write(chunk.drafts, outcome)
        job.processed_rows = chunk.start + chunk.size
        job.created_count += outcome.created
        job.merged_count += outcome.merged
        job.outside_scope_count += outcome.outside_scope
        job.rejected_count += len(chunk.rejected)
        job.save(
            update_fields=[
                "processed_rows",
                "created_count",
                "merged_count",
                "outside_scope_count",
                "rejected_count",
            ]
        )
    return outcome


def _earlier_rejects(parser: RowParser, rows) -> list:
    rejected = []
    for index, cells in enumerate(rows):
        try:
            parser.parse(_line(index), cells)
        except RowRejected as exc:
            rejected.append((cells, str(exc)))
    return rejected


def _rejects_workbook(headers: list[str], rejected: list) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Rejected rows"))
    sheet.append([*headers, _("Reason")])
    for cells, reason in rejected:
        sheet.append([None if cell == "" else cell for cell in cells] + [reason])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _claim(job_id: int) -> ImportJob | None:
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().select_related("created_by").get(pk=job_id)
        if job.status in (ImportJob.Status.DONE, ImportJob.Status.UPLOADED):
            return None
        job.status = ImportJob.Status.RUNNING
        job.started_at = job.started_at or timezone.now()
        job.save(update_fields=["status", "started_at"])
    return job


def _finish(job: ImportJob, rejected: list, headers: list[str]) -> None:
    with transaction.atomic():
        if rejected:
            name = f"rejected-{job.pk}.xlsx"
            job.rejects_file.save(name, ContentFile(_rejects_workbook(headers, rejected)), False)
        job.status = ImportJob.Status.DONE
        job.finished_at = timezone.now()
        job.save(update_fields=["rejects_file", "status", "finished_at"])


def _fail(job: ImportJob, exc: Exception) -> None:
    if isinstance(exc, DomainError):
        message = exc.message
    else:
        logger.exception("Customer import %s failed at row %s", job.pk, job.processed_rows)
        message = _("The import stopped because of an error on our side; resume it to go on.")
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.FAILED, error=message)


def _run(job: ImportJob, actor, chunk_rows: int) -> None:
    _require_import(actor)
    _check_mapping_allowed(actor, job.mapping)
    table = _job_table(job)
    parser = RowParser(table.headers, job.mapping)
    rejected = _earlier_rejects(parser, table.rows[: job.processed_rows])
    tag_ids: dict[str, int] = {}
    job.total_rows = len(table.rows)
    ImportJob.objects.filter(pk=job.pk).update(total_rows=job.total_rows)
    with _table_kept_out_of_gc():
        for start in range(job.processed_rows, len(table.rows), chunk_rows):
            chunk = _parse_chunk(parser, table.rows[start : start + chunk_rows], start)
            _write_chunk(job, actor, chunk, tag_ids)
            rejected += chunk.rejected
    _finish(job, rejected, table.headers)


def customer_import_run(*, job_id: int, chunk_rows: int = CHUNK_ROWS) -> ImportJob | None:
    """Import the rows of a queued (or interrupted) job from its checkpoint on.

    Safe to call again after a crash: see the module's description."""
    job = _claim(job_id)
    if job is None:
        return None
    actor = job.created_by
    try:
        # Reasons in the rejects workbook speak the importer's language.
        with translation.override(actor.language or settings.LANGUAGE_CODE):
            _run(job, actor, chunk_rows)
    except CheckpointMoved:
        logger.warning("Customer import %s is being run elsewhere; this run stops.", job.pk)
        return None
    except Exception as exc:
        _fail(job, exc)
        raise
    return job
