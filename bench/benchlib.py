"""What the benchmarks share: a throwaway PostgreSQL database, and a child
process per database that configures Django from the environment and
reports its figures on a line ``RESULT <json>``."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROTECTED_DATABASES = ("", "test", "postgres", "template0", "template1")


def postgres_admin(url: str):
    """A connection to the server's maintenance database, and the bench database's name."""
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if name in PROTECTED_DATABASES:
        raise SystemExit(f"Refusing to create or drop the database {name!r}.")
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    return psycopg.connect(admin_url, autocommit=True, connect_timeout=3), name


def postgres_recreate(url: str) -> bool:
    try:
        admin, name = postgres_admin(url)
    except Exception as exc:
        print(f"PostgreSQL not reachable ({exc.__class__.__name__}: {exc}); skipped.")
        return False
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    return True


def postgres_drop(url: str) -> None:
    admin, name = postgres_admin(url)
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run_child(script: str, backend: str, options: list[str], database_url: str, data_dir: str):
    """Run ``script --worker backend *options`` against ``database_url``; its
    output is echoed with the backend's name, its RESULT line returned."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "HOTLINE_DATA_DIR": data_dir,
        "DATABASE_URL": database_url,
        # Persistent connections, as a deployment runs them.
        "DATABASE_CONN_MAX_AGE": "600",
        "DEBUG": "0",
    }
    command = [sys.executable, str(Path(script).resolve()), "--worker", backend, *options]
    (Path(data_dir) / "static").mkdir(exist_ok=True)
    result = None
    with subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True, cwd=ROOT) as child:
        for line in child.stdout:
            if line.startswith("RESULT "):
                result = json.loads(line[len("RESULT ") :])
            else:
                print(f"[{backend}] {line}", end="", flush=True)
    return result


def run_on_databases(args, run_child, prefix: str) -> list[dict]:
    """Run the child on a temporary SQLite file, then on a fresh PostgreSQL
    database (unless ``--no-sqlite`` / ``--no-postgres``); clean up unless
    ``--keep``. Returns the children's results."""
    import shutil
    import tempfile

    results = []
    data_dir = tempfile.mkdtemp(prefix=prefix)
    try:
        if not args.no_sqlite:
            sqlite_url = f"sqlite:///{Path(data_dir) / 'bench.sqlite3'}"
            results.append(run_child("sqlite", args, sqlite_url, data_dir))
        if not args.no_postgres and postgres_recreate(args.postgres):
            try:
                results.append(run_child("postgres", args, args.postgres, data_dir))
            finally:
                if not args.keep:
                    postgres_drop(args.postgres)
    finally:
        if args.keep:
            print(f"Kept {data_dir}" + ("" if args.no_postgres else f" and {args.postgres}"))
        else:
            shutil.rmtree(data_dir, ignore_errors=True)
    return [result for result in results if result]
