"""The rows of an import file as customer drafts: one row parsed and checked
into a Draft (or rejected with its reason), and a chunk of rows grouped by
phone number, rows sharing a number making one draft.

A row is rejected, with its reason, for: neither a name nor a valid phone; a
malformed phone (“x” is not a valid phone number); an unknown member level,
group or ad source; a bad gender, birthday, e-mail or custom field value
(CustomField.clean_value's message); a missing required custom field; a text
longer than its field.
"""

import datetime
import re
from dataclasses import dataclass, field
from functools import lru_cache, partial

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hotline.core.models import CustomFieldType
from hotline.core.phones import PhoneInfo, phone_info_fast
from hotline.customers.models import (
    AdSource,
    Customer,
    CustomerAddress,
    CustomerGroup,
    CustomerTag,
    MemberLevel,
)
from hotline.customers.services.imports.mapping import custom_field_definitions
from hotline.customers.services.imports.reading import cell_text

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


def sheet_line(index: int) -> int:
    """The row number a person sees in the sheet (row 1 holds the headers)."""
    return index + 2


def _phone_like(text: str) -> bool:
    return all(ch.isdigit() or ch in PHONE_CHARACTERS or ch.isspace() for ch in text)


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


def _date(value, text: str):
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
        self.custom = custom_field_definitions()
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
        info = phone_info_fast(text) if _phone_like(text) else None
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
        return "birthday", _date(value, text)

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


@dataclass
class Chunk:
    start: int
    size: int
    drafts: list[Draft]
    rejected: list  # (cells, reason)


def chunk_parse(parser: RowParser, rows: list, start: int) -> Chunk:
    """The drafts of the rows; rows sharing a phone number make one draft."""
    chunk = Chunk(start=start, size=len(rows), drafts=[], rejected=[])
    by_number: dict[str, Draft] = {}
    for offset, cells in enumerate(rows):
        try:
            row = parser.parse(sheet_line(start + offset), cells)
        except RowRejected as exc:
            chunk.rejected.append((cells, str(exc)))
            continue
        _group_by_phone(chunk.drafts, by_number, row)
    return chunk


def _group_by_phone(drafts: list[Draft], by_number: dict[str, Draft], row: Draft) -> None:
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


def rows_rejected(parser: RowParser, rows) -> list:
    """(cells, reason) of the rejected ones of ``rows`` (the first rows of the file)."""
    rejected = []
    for index, cells in enumerate(rows):
        try:
            parser.parse(sheet_line(index), cells)
        except RowRejected as exc:
            rejected.append((cells, str(exc)))
    return rejected
