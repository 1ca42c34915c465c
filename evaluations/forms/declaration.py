"""The 绩效目标申报 page's forms: the 履职效能 forms (forms.filing.DutyForms), filled from the
declaration (or, before its first save, from the evaluation's current rows, e.g. carried over
from last year), of which the page shows only the target side."""

from __future__ import annotations

from ..models import Evaluation, TargetDeclaration
from ..services.declaration import TARGET_FIELDS
from .filing import DutyForms, DutyGoalForm, RowForm, RowFormSet, TaskFormSet, row_prefix


def _declared_initial(declaration: TargetDeclaration) -> list[dict]:
    return [
        {
            "name": t["name"],
            "section": t.get("section", ""),
            "rows": [{n: r.get(n) for n in TARGET_FIELDS} for r in t.get("rows", [])],
        }
        for t in declaration.tasks
    ]


def _current_initial(evaluation: Evaluation) -> list[dict]:
    return [
        {
            "name": t.name,
            "section": t.section,
            "rows": [
                {n: v for n, v in RowForm.initial_for(r).items() if n in TARGET_FIELDS}
                for r in t.rows.all()
            ],
        }
        for t in evaluation.tasks.all()
    ]


class DeclarationForms(DutyForms):
    """Bound: exactly the 履职效能 forms. Unbound: from the declaration, else the evaluation."""

    def __init__(self, data=None, *, evaluation: Evaluation, declaration=None):
        rubric = evaluation.rubric.spec
        if data is not None:
            super().__init__(data, rubric=rubric)
            return
        super().__init__(None, evaluation=evaluation)  # sets sections and form kwargs
        if declaration is not None:
            goal, tasks = declaration.overall_goal, _declared_initial(declaration)
        else:
            goal, tasks = evaluation.overall_goal, _current_initial(evaluation)
        first = self.sections[0].code if self.sections else ""
        self.goal = DutyGoalForm(initial={"overall_goal": goal})
        self.tasks = TaskFormSet(
            prefix="tasks",
            initial=[
                {"name": t["name"], "section": t["section"] or first, "ORDER": i}
                for i, t in enumerate(tasks, 1)
            ],
            form_kwargs=self.task_kwargs,
        )
        self.rows = [
            RowFormSet(
                prefix=row_prefix(i),
                initial=[{**r, "ORDER": j} for j, r in enumerate(t["rows"], 1)],
                form_kwargs=self.row_kwargs,
            )
            for i, t in enumerate(tasks)
        ]
