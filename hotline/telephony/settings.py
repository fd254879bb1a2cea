"""Runtime settings of the telephony engine, editable at /manage/settings/."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hotline.core.exceptions import InvalidData
from hotline.core.runtime_settings import SettingSpec, register_setting

BLACKLIST_POLICIES = ("warn", "reject")


def _blacklist_policy(value) -> str:
    value = str(value or "").strip()
    if value not in BLACKLIST_POLICIES:
        raise InvalidData(_("Choose “warn” or “reject”."))
    return value


BLACKLIST_POLICY = register_setting(
    SettingSpec(
        key="telephony.blacklist_policy",
        label=gettext_lazy("Inbound calls from blacklisted numbers"),
        default="warn",
        clean=_blacklist_policy,
        help_text=gettext_lazy(
            "“warn”: the call goes on and the agent sees a warning; “reject”: the IVR refuses it."
        ),
    )
)
