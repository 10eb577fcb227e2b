"""django-auditlog and django-rest-knox create tables for their own models even though Switchyard
swaps those models (AUDITLOG_LOGENTRY_MODEL, KNOX_TOKEN_MODEL). The tables stay empty, but their
foreign keys make PostgreSQL refuse to empty the referenced tables (content types, users) in one
TRUNCATE, as `manage.py flush` and the test runner do. Their foreign keys are dropped."""

from django.db import migrations

UNUSED_TABLES = ("auditlog_logentry", "knox_authtoken")


def drop_foreign_keys(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in UNUSED_TABLES:
            cursor.execute(
                "SELECT conname FROM pg_constraint WHERE contype = 'f' AND conrelid = to_regclass(%s)",
                [table],
            )
            for (name,) in cursor.fetchall():
                cursor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_api_tokens_and_audit_log"),
        ("auditlog", "0017_add_actor_email"),
        ("knox", "0009_extend_authtoken_field"),
    ]

    operations = [migrations.RunPython(drop_foreign_keys, migrations.RunPython.noop)]
