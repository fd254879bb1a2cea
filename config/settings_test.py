"""Settings for the test suite: the real settings plus a sample app that proves
the data scope, and fast password hashing where Argon2 itself is not under test."""

from config.settings import *  # noqa: F403
from config.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "hotline.core.tests.sampleapp"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
]
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "recordings": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
}
TELEPHONY = {**TELEPHONY, "AUTOSTART": False, "SIM_CALLS_PER_HOUR": 0}  # noqa: F405
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Assertions read messages in English; the browser tests ask for Chinese
# through the browser's language, as a person's browser would.
LANGUAGE_CODE = "en"
