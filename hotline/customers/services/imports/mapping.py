"""Mapping the columns of an import file to customer fields: the targets a
column may fill, a suggestion from the header names (or the mapping the
person chose last time for the same headers), and the checks of a mapping."""

import hashlib
import re

from django.utils.translation import gettext as _

from hotline.core.exceptions import InvalidData, NotAllowed
from hotline.core.permissions import fields_not_editable
from hotline.customers.models import Customer, ImportMapping

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
# The Customer field (for the field edit rules) behind a target that is not one.
MODEL_FIELDS = {
    "phone": "phones",
    "province": "addresses",
    "city": "addresses",
    "district": "addresses",
    "address": "addresses",
}


def custom_field_definitions() -> dict:
    """The customers' custom field definitions by name."""
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
    targets += [(f"cf.{d.name}", d.display_label) for d in custom_field_definitions().values()]
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
    for definition in custom_field_definitions().values():
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


def mapping_clean(headers: list[str], mapping: dict) -> dict[str, str]:
    """``mapping`` without skipped columns, or InvalidData saying what is wrong."""
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


def mapping_check_allowed(actor, mapping: dict[str, str]) -> None:
    """InvalidData if a required custom field has no column, NotAllowed if
    ``actor`` may not change a mapped field (edit rules, custom-field roles)."""
    definitions = custom_field_definitions()
    _check_required(definitions, mapping)
    names = {MODEL_FIELDS.get(t, t) for t in mapping.values() if not t.startswith("cf.")}
    refused = fields_not_editable(actor, Customer, names)
    refused += _custom_fields_refused(actor, definitions, mapping)
    if refused:
        raise NotAllowed(
            _("You may not change: %(fields)s.") % {"fields": ", ".join(refused)},
            details={"mapping": refused},
        )


def _check_required(definitions: dict, mapping: dict[str, str]) -> None:
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


def _custom_fields_refused(actor, definitions: dict, mapping: dict[str, str]) -> list[str]:
    role_ids = set(actor.roles.values_list("pk", flat=True))
    refused = []
    for target in mapping.values():
        definition = definitions.get(target[3:]) if target.startswith("cf.") else None
        allowed = {r.pk for r in definition.editable_by_roles.all()} if definition else set()
        if allowed and not actor.is_superuser and not allowed & role_ids:
            refused.append(definition.display_label)
    return refused
