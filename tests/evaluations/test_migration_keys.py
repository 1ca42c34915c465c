"""Migration 0007 converts the positional keys of 复核分 and 批注 on 履职效能 rows (`2.1.2`:
leaf 2, task 1, row 2) to the stable keys of the rows now at those positions (`row:<id>`).
Its pattern used to read `2.1.2` as task 2 of a leaf `2.1`, so no row key was converted."""

from __future__ import annotations

import importlib
from decimal import Decimal

from django.apps import apps
from django.contrib.auth import get_user_model

from evaluations.models import Annotation, DutyTask, ReviewedScore

migration = importlib.import_module("evaluations.migrations.0007_stable_row_identity")


def test_key_for_reads_the_leaf_as_a_known_prefix():
    class Row:
        def __init__(self, pk):
            self.pk = pk

    tasks = [(Row(10), [Row(11), Row(12)]), (Row(20), [Row(21)])]
    key_for = migration._key_for
    assert key_for("2.1.2", {"2"}, tasks) == "row:12"
    assert key_for("2.2.1", {"2"}, tasks) == "row:21"
    assert key_for("2.2", {"2"}, tasks) == "task:20"
    assert key_for("3.1.2", {"3.1"}, tasks) == "task:20"  # a dotted leaf code: task 2
    assert key_for("3.1.1.2", {"3.1"}, tasks) == "row:12"
    assert key_for("2.3.1", {"2"}, tasks) is None  # no third task
    assert key_for("2.1.5", {"2"}, tasks) is None  # no fifth row
    assert key_for("1.1.1", {"2"}, tasks) is None  # not a 履职效能 code


def test_positional_judgements_move_to_the_rows_now_at_those_places(seed_eval):
    reviewer = get_user_model().objects.get(username="reviewer")
    task = DutyTask.objects.filter(evaluation=seed_eval).first()
    first, second = list(task.rows.all())[:2]
    duty = migration._duty_codes(seed_eval.rubric.content)
    assert duty, "the seed rubric has a 履职效能 leaf"
    leaf = next(iter(duty))
    row_code = f"{leaf}.{task.position}.2"
    on_row = ReviewedScore.objects.create(
        evaluation=seed_eval,
        code=row_code,
        score=Decimal(0),
        reason="第二项未完成",
        reviewer=reviewer,
    )
    on_leaf = ReviewedScore.objects.create(
        evaluation=seed_eval, code="1.1.1", score=Decimal(0), reason="依据不足", reviewer=reviewer
    )
    note = Annotation.objects.create(
        evaluation=seed_eval, target=f"ind:{row_code}", author=reviewer, text="请补充"
    )
    reply = Annotation.objects.create(
        evaluation=seed_eval, target=f"ind:{row_code}", author=reviewer, text="已补", parent=note
    )
    leaf_note = Annotation.objects.create(
        evaluation=seed_eval, target="ind:1.1.1", author=reviewer, text="指标批注"
    )

    migration.positions_to_keys(apps, None)

    for obj in (on_row, on_leaf, note, reply, leaf_note):
        obj.refresh_from_db()
    assert on_row.code == second.key != first.key
    assert on_leaf.code == "1.1.1"
    assert note.target == reply.target == second.key
    assert leaf_note.target == "ind:1.1.1"
