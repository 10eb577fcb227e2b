from pathlib import Path

from django.apps import AppConfig
from django.conf import settings


class CoreConfig(AppConfig):
    name = "switchyard.core"
    label = "core"

    def ready(self) -> None:
        from switchyard.core import lookups  # noqa: F401  (registers ``__any``)

        make_sqlite_directories()


def make_sqlite_directories() -> None:
    """SQLite opens its file but does not make the directory the file lives in (VAR_DIR)."""
    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.sqlite3":
        return
    for name in (database["NAME"], database.get("TEST", {}).get("NAME")):
        if name and name != ":memory:" and not str(name).startswith("file:"):
            Path(name).parent.mkdir(parents=True, exist_ok=True)
