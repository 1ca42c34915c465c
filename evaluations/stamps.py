"""Page stamps: a number on a row that changes whenever the row, or anything that belongs to
it, changes. The page cache (evaluations.pagecache) keys pages by them, so a cached page can
never outlive the data it shows.

The stamps are kept by the database itself, with triggers, not by the services: every write
counts, including `QuerySet.update()`, `bulk_create()`, cascades, the admin, the worker, raw SQL
and another process. Nothing in the Python code has to remember to bump them.

- A stamped row (an evaluation, a fiscal year, a department, a region, a bulk job) gets a new
  stamp on every UPDATE, whatever the statement wrote into the column (a stale object's save
  cannot set it back).
- A row that belongs to an evaluation (its figures, answers, tasks and their indicators,
  evidence and its links, annotations, 复核分, events, snapshots, renders, publication,
  declaration, reminders) bumps that evaluation's stamp when it is inserted, updated or
  deleted; a 延期 (DeadlineExtension) bumps the evaluations of its department and year.

Pages that also depend on rows of other kinds (last year's evaluation, the list of fiscal
years, the user's roles) read those in the same key query (selectors.page_key_*).

The triggers are (re)installed after every `migrate` and `flush` (post_migrate, idempotent):
SQLite drops a table's triggers when a later migration rebuilds the table, and this puts them
back. `missing_triggers()` lists any that are absent (tests/evaluations/test_page_stamps.py).
"""

from __future__ import annotations

from django.db import connections

# Tables whose own rows carry a stamp.
STAMPED = (
    "evaluations_evaluation",
    "evaluations_fiscalyear",
    "evaluations_department",
    "evaluations_region",
    "evaluations_bulkjob",
)

# Tables whose rows belong to an evaluation: (table, SQL giving the evaluation ids of a row,
# written with {row} for NEW or OLD).
CHILDREN = (
    *(
        (table, "SELECT {row}.evaluation_id")
        for table in (
            "evaluations_figurevalue",
            "evaluations_dutytask",
            "evaluations_indicatoranswer",
            "evaluations_bonusevent",
            "evaluations_reportsection",
            "evaluations_evidence",
            "evaluations_targetdeclaration",
            "evaluations_pdfrender",
            "evaluations_evaluationevent",
            "evaluations_reviewedscore",
            "evaluations_annotation",
            "evaluations_fieldchange",
            "evaluations_submissionsnapshot",
            "evaluations_publishedreport",
            "evaluations_reminder",
        )
    ),
    (
        "evaluations_dutyindicator",
        "SELECT evaluation_id FROM evaluations_dutytask WHERE id = {row}.task_id",
    ),
    (
        "evaluations_evidencelink",
        "SELECT evaluation_id FROM evaluations_evidence WHERE id = {row}.evidence_id",
    ),
    (
        "evaluations_deadlineextension",
        "SELECT id FROM evaluations_evaluation WHERE fiscal_year_id = {row}.fiscal_year_id"
        " AND department_id = {row}.department_id",
    ),
)

# Columns whose writes alone change nothing a page shows, and which a side thread writes while
# the worker holds no lock on the evaluation (services.renders.beating): an UPDATE that sets
# only these fires no trigger (and so takes no lock on the evaluation row).
QUIET_COLUMNS = {
    "evaluations_pdfrender": ("heartbeat_at",),
    "evaluations_bulkjob": ("heartbeat_at",),
}

PREFIX = "page_stamp_"
BUMP = "UPDATE evaluations_evaluation SET page_stamp = page_stamp + 1 WHERE id IN ({ids})"


def trigger_names() -> list[str]:
    return [name for _, name in _owners()]


def _update_event(table: str) -> str:
    """UPDATE, or UPDATE OF the columns that count where some do not (QUIET_COLUMNS)."""
    quiet = QUIET_COLUMNS.get(table)
    if not quiet:
        return "UPDATE"
    from django.apps import apps

    model = next(m for m in apps.get_models() if m._meta.db_table == table)
    columns = [f.column for f in model._meta.local_fields if f.column not in (*quiet, "page_stamp")]
    return "UPDATE OF " + ", ".join(columns)


def _sqlite_statements() -> list[str]:
    statements = [f"DROP TRIGGER IF EXISTS {name}" for _, name in _owners()]
    for table in STAMPED:
        # AFTER UPDATE, only when the statement did not raise the stamp itself (a child's
        # bump does): the new stamp is the old one plus one, whatever was written.
        statements.append(
            f"CREATE TRIGGER {PREFIX}{table} AFTER {_update_event(table)} ON {table} "
            f"FOR EACH ROW WHEN NEW.page_stamp <= OLD.page_stamp BEGIN "
            f"UPDATE {table} SET page_stamp = OLD.page_stamp + 1 WHERE id = NEW.id; END"
        )
    for table, ids in CHILDREN:
        for op, event, rows in (
            ("ins", "INSERT", ("NEW",)),
            ("upd", _update_event(table), ("OLD", "NEW")),
            ("del", "DELETE", ("OLD",)),
        ):
            body = " ".join(BUMP.format(ids=ids.format(row=row)) + ";" for row in rows)
            statements.append(
                f"CREATE TRIGGER {PREFIX}{table}_{op} AFTER {event} ON {table} "
                f"FOR EACH ROW BEGIN {body} END"
            )
    return statements


def _postgresql_statements() -> list[str]:
    statements = [
        "CREATE OR REPLACE FUNCTION page_stamp_self() RETURNS trigger AS $$ "
        "BEGIN NEW.page_stamp := OLD.page_stamp + 1; RETURN NEW; END $$ LANGUAGE plpgsql"
    ]
    for table in STAMPED:
        statements.append(
            f"CREATE OR REPLACE TRIGGER {PREFIX}{table} BEFORE {_update_event(table)} ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION page_stamp_self()"
        )
    for table, ids in CHILDREN:
        function = f"{PREFIX}{table}_bump"
        old, new = BUMP.format(ids=ids.format(row="OLD")), BUMP.format(ids=ids.format(row="NEW"))
        statements.append(
            f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger AS $$ BEGIN "
            f"IF TG_OP <> 'INSERT' THEN {old}; END IF; "
            f"IF TG_OP <> 'DELETE' THEN {new}; END IF; "
            f"RETURN NULL; END $$ LANGUAGE plpgsql"
        )
        for op, event in (("ins", "INSERT"), ("upd", _update_event(table)), ("del", "DELETE")):
            statements.append(
                f"CREATE OR REPLACE TRIGGER {PREFIX}{table}_{op} AFTER {event} ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION {function}()"
            )
    return statements


def install(using: str = "default") -> None:
    """(Re)create the triggers (idempotent; both vendors): after a migration they follow the
    tables' current columns."""
    connection = connections[using]
    if connection.vendor == "postgresql":
        statements = _postgresql_statements()
    elif connection.vendor == "sqlite":
        statements = _sqlite_statements()
    else:  # pragma: no cover - the project runs on PostgreSQL and SQLite only
        return
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def existing(using: str = "default") -> set[str]:
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgname LIKE %s",
                [PREFIX + "%"],
            )
        else:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE %s",
                [PREFIX + "%"],
            )
        return {row[0] for row in cursor.fetchall()}


def missing_triggers(using: str = "default") -> list[str]:
    have = existing(using)
    return [name for name in trigger_names() if name not in have]


def install_after_migrate(sender, using: str = "default", **kwargs) -> None:
    """post_migrate (evaluations.apps): after every migrate and flush."""
    connection = connections[using]
    # only once the stamp columns exist (a migrate back to before them leaves no triggers)
    with connection.cursor() as cursor:
        if "evaluations_bulkjob" not in connection.introspection.table_names(cursor):
            return
        columns = connection.introspection.get_table_description(cursor, "evaluations_bulkjob")
    if "page_stamp" in {c.name for c in columns}:
        install(using)


def drop(using: str = "default") -> None:
    """Remove the triggers (the migration's reverse)."""
    connection = connections[using]
    with connection.cursor() as cursor:
        for table, name in _owners():
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            else:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")


def _owners() -> list[tuple[str, str]]:
    owners = [(table, f"{PREFIX}{table}") for table in STAMPED]
    for table, _ in CHILDREN:
        owners += [(table, f"{PREFIX}{table}_{op}") for op in ("ins", "upd", "del")]
    return owners
