"""Configuration: SQLite runs in WAL mode with a busy timeout; the
development secret key lives in an ignored file, never in the repository."""

import subprocess

import pytest
from django.conf import settings
from django.db.backends.sqlite3.base import DatabaseWrapper

from config import settings as production_settings


def test_sqlite_uses_wal_and_waits_for_locks(tmp_path, django_db_blocker):
    options = production_settings.DATABASES["default"].get("OPTIONS", {})
    settings_dict = {
        **production_settings.DATABASES["default"],
        "NAME": str(tmp_path / "probe.sqlite3"),
        "OPTIONS": options,
        "TIME_ZONE": None,
        "CONN_HEALTH_CHECKS": False,
        "AUTOCOMMIT": True,
        "ATOMIC_REQUESTS": False,
    }
    if settings_dict["ENGINE"] != "django.db.backends.sqlite3":
        pytest.skip("DATABASE_URL points at another database")
    connection = DatabaseWrapper(settings_dict)
    with django_db_blocker.unblock():
        _check_wal(connection)


def _check_wal(connection):
    try:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode")
            assert cursor.fetchone()[0] == "wal"
            cursor.execute("PRAGMA busy_timeout")
            assert cursor.fetchone()[0] >= 5000
    finally:
        connection.close()


def test_development_secret_key_is_kept_out_of_git():
    key_file = production_settings.DATA_DIR / "secret_key"
    if production_settings.env_str("SECRET_KEY"):
        return  # a key from the environment is used instead
    assert key_file.read_text().strip() == settings.SECRET_KEY
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", str(key_file)], cwd=settings.BASE_DIR, check=False
    )
    assert ignored.returncode == 0
