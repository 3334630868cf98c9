import os
import subprocess
import sys
from pathlib import Path

import config.settings as configured

ROOT = Path(__file__).resolve().parent.parent


def run_manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG")}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_missing_secret_key_stops_start_up_with_a_clear_message(
    tmp_path: Path,
) -> None:
    result = run_manage({"LOKET_VAR_DIR": str(tmp_path)}, "check")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr
    assert "Traceback" not in result.stderr.splitlines()[-1]


def test_debug_runs_without_a_secret_key(tmp_path: Path) -> None:
    result = run_manage({"LOKET_VAR_DIR": str(tmp_path), "DEBUG": "true"}, "check")
    assert result.returncode == 0, result.stderr


def test_a_bad_boolean_is_named(tmp_path: Path) -> None:
    result = run_manage({"LOKET_VAR_DIR": str(tmp_path), "DEBUG": "perhaps"}, "check")
    assert result.returncode != 0
    assert "DEBUG must be true or false" in result.stderr


def test_passwords_are_hashed_with_argon2() -> None:
    assert configured.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def run_python(env: dict[str, str], code: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "DATABASE_URL")}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_debug_is_off_by_default() -> None:
    assert run_python({}, "import config.settings as s; print(s.DEBUG)") == "False"


def test_the_embedded_database_runs_in_wal_mode(tmp_path: Path) -> None:
    code = (
        "import django; django.setup();"
        "from django.db import connection;"
        "c = connection.cursor(); c.execute('PRAGMA journal_mode');"
        "print(c.fetchone()[0], connection.settings_dict['NAME'])"
    )
    out = run_python({"LOKET_VAR_DIR": str(tmp_path), "SECRET_KEY": "x" * 50}, code)
    mode, name = out.split(" ", 1)
    assert mode == "wal"
    assert name == str(tmp_path / "loket.sqlite3")


def test_database_url_switches_to_postgresql() -> None:
    code = "import config.settings as s; print(s.DATABASES['default']['ENGINE'])"
    engine = run_python({"DATABASE_URL": "postgres://u@127.0.0.1:5432/x"}, code)
    assert engine == "django.db.backends.postgresql"
