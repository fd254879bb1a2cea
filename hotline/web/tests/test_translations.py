"""Every user-facing string has a Simplified Chinese translation, and the
compiled catalogue that Django loads matches the source catalogue."""

import gettext
from pathlib import Path

import polib
from django.conf import settings

LOCALE = Path(settings.BASE_DIR) / "hotline" / "locale" / "zh_Hans" / "LC_MESSAGES"


def test_chinese_catalogue_is_complete():
    po = polib.pofile(str(LOCALE / "django.po"))
    untranslated = [entry.msgid for entry in po.untranslated_entries()]
    fuzzy = [entry.msgid for entry in po.fuzzy_entries()]
    assert untranslated == []
    assert fuzzy == []


def compiled_text(catalogue, entry) -> str:
    if entry.msgctxt:
        return catalogue.pgettext(entry.msgctxt, entry.msgid)
    return catalogue.gettext(entry.msgid)


def test_compiled_catalogue_matches_the_source():
    po = polib.pofile(str(LOCALE / "django.po"))
    with open(LOCALE / "django.mo", "rb") as compiled:
        catalogue = gettext.GNUTranslations(compiled)
    stale = [
        entry.msgid
        for entry in po.translated_entries()
        if not entry.msgid_plural and compiled_text(catalogue, entry) != entry.msgstr
    ]
    assert stale == [], "run `make messages` to recompile"
