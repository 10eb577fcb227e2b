"""Every environment variable the settings read is named in their docstring and in the README."""

import re
from pathlib import Path

import config.settings

ROOT = Path(__file__).resolve().parents[3]
SETTINGS = Path(config.settings.__file__).read_text()
# env("X", ...), env.int("X", ...), env.db("X", ...), os.environ.get("X", ...)
READ = re.compile(r"""(?:\benv(?:\.\w+)?|os\.environ\.get)\(\s*["']([A-Z_]+)["']""")


def variables_read() -> set[str]:
    return set(READ.findall(SETTINGS))


def test_the_settings_read_the_variables_they_are_known_to_read():
    assert {"DATABASE_URL", "SYNC_OUTBOX_MAX_ATTEMPTS", "CACHE_URL", "VAR_DIR"} <= variables_read()


def test_every_variable_is_listed_in_the_settings_docstring():
    listed = set(re.findall(r"[A-Z][A-Z_]+", config.settings.__doc__))
    assert variables_read() - listed == set()


def test_every_variable_has_a_row_in_the_readme_table():
    rows = [
        line for line in (ROOT / "README.md").read_text().splitlines() if line.startswith("| `")
    ]
    documented = {name for row in rows for name in re.findall(r"`([A-Z_]+)`", row.split(" | ")[0])}
    assert variables_read() - documented == set()
