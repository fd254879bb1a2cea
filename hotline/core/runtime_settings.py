"""Settings an administrator changes at run time (STYLE: configuration from
the environment lives in config/settings.py; business settings live here, in
the database). Each app registers its settings with a default and a check."""

from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from hotline.core.exceptions import InvalidData
from hotline.core.permissions import require_perm


@dataclass(frozen=True)
class SettingSpec:
    key: str
    label: object  # a lazy translated string
    default: object
    clean: Callable[[object], object]
    help_text: object = ""


REGISTRY: dict[str, SettingSpec] = {}


def register_setting(spec: SettingSpec) -> SettingSpec:
    REGISTRY[spec.key] = spec
    return spec


def positive_int(value) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if number < 1:
        raise InvalidData(_("Enter a whole number of at least 1."))
    return number


def setting_get(key: str):
    from hotline.core.models import SystemSetting

    spec = REGISTRY[key]
    stored = SystemSetting.objects.filter(key=key).values_list("value", flat=True).first()
    return spec.default if stored is None else stored


@transaction.atomic
def setting_set(*, actor, key: str, value):
    from hotline.core.models import SystemSetting

    require_perm(actor, "core.change_systemsetting")
    spec = REGISTRY.get(key)
    if spec is None:
        raise InvalidData(_("There is no setting “%(key)s”.") % {"key": key})
    cleaned = spec.clean(value)
    setting, created = SystemSetting.objects.get_or_create(key=key, defaults={"value": cleaned})
    if not created and setting.value != cleaned:
        setting.value = cleaned
        setting.save()
    return cleaned
