"""The statistics page of a region's fiscal year: the distribution of scores by grade, the
indicators most often losing points, and the departments' scores over the years — the same
numbers for the charts, the accessible tables and the .xlsx export. Read-only."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from . import selectors, tabular
from .models import FiscalYear
from .scoring import is_row_key, line_key, score_evaluation

TOP_LOSSES = 10


@dataclass(frozen=True)
class GradeCount:
    name: str
    minimum: Decimal
    count: int


@dataclass(frozen=True)
class Loss:
    code: str
    name: str
    points: Decimal
    departments: int  # how many counted evaluations lost points on it
    lost: Decimal  # points lost, all of them together
    average: Decimal  # per evaluation losing points


@dataclass
class Trend:
    department: str
    code: str
    scores: dict[int, Decimal | None] = field(default_factory=dict)


@dataclass
class Statistics:
    fiscal_year: FiscalYear
    counted: int
    average: Decimal | None
    grades: list[GradeCount]
    losses: list[Loss]
    years: list[int]
    trends: list[Trend]

    def chart_data(self) -> dict:
        """The same numbers for the charts (JSON for json_script)."""
        return {
            "grades": {
                "labels": [g.name for g in self.grades],
                "counts": [g.count for g in self.grades],
            },
            "losses": {
                "labels": [f"{x.code} {x.name}" for x in self.losses],
                "codes": [x.code for x in self.losses],
                "counts": [x.departments for x in self.losses],
            },
            "trends": {
                "years": [str(y) for y in self.years],
                "series": [
                    {
                        "label": t.department,
                        "data": [
                            None if t.scores.get(y) is None else float(t.scores[y])
                            for y in self.years
                        ],
                    }
                    for t in self.trends
                ],
            },
        }


def _q(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"))


def statistics(fiscal_year: FiscalYear) -> Statistics:
    rubric = fiscal_year.rubric.spec
    evaluations = list(selectors.statistics_evaluations(fiscal_year))
    leaves = {leaf.code for leaf in rubric.leaves()}
    totals: list[Decimal] = []
    lost: dict[str, list[Decimal]] = {}
    names: dict[str, tuple[str, Decimal]] = {}
    for evaluation in evaluations:
        sheet = score_evaluation(evaluation)
        if sheet.totals.final is not None:
            totals.append(sheet.totals.final)
        for ln in sheet.lines:
            if ln.code not in leaves or is_row_key(line_key(ln)) or ln.final is None:
                continue
            names[ln.code] = (ln.name, ln.points)
            if ln.final < ln.points:
                lost.setdefault(ln.code, []).append(ln.points - ln.final)
    # each total in the grade the rubric gives it (rubric.spec.Rubric.grade)
    by_grade = Counter(rubric.grade(total) for total in totals)
    grades = [GradeCount(g.name, g.minimum, by_grade.get(g.name, 0)) for g in rubric.grades]
    losses = sorted(
        (
            Loss(
                code,
                names[code][0],
                names[code][1],
                len(amounts),
                _q(sum(amounts, Decimal(0))),
                _q(sum(amounts, Decimal(0)) / len(amounts)),
            )
            for code, amounts in lost.items()
        ),
        key=lambda x: (-x.departments, -x.lost, x.code),
    )[:TOP_LOSSES]
    trends: dict[str, Trend] = {}
    years: set[int] = set()
    for e in selectors.region_scores_by_year(fiscal_year.region, fiscal_year.year):
        trend = trends.setdefault(e.department.code, Trend(e.department.name, e.department.code))
        trend.scores[e.fiscal_year.year] = e.final_total
        years.add(e.fiscal_year.year)
    average = _q(sum(totals, Decimal(0)) / len(totals)) if totals else None
    return Statistics(
        fiscal_year, len(evaluations), average, grades, losses, sorted(years), list(trends.values())
    )


def statistics_xlsx(stats: Statistics) -> bytes:
    """The page's three tables as one workbook, each text cell written formula-safe
    (tabular.append_row)."""
    from openpyxl import Workbook

    fy = stats.fiscal_year
    wb = Workbook()
    ws = wb.active
    ws.title = "得分等级分布"
    tabular.append_row(ws, [f"{fy.region.name}{fy.year}年度 · 统计自评 {stats.counted} 份"])
    tabular.append_row(ws, ["等级", "最低分", "自评份数"])
    for g in stats.grades:
        tabular.append_row(ws, [g.name, float(g.minimum), g.count])
    ws = wb.create_sheet("失分较多的指标")
    tabular.append_row(ws, ["指标编码", "指标", "分值", "失分部门数", "失分合计", "平均失分"])
    for x in stats.losses:
        tabular.append_row(
            ws, [x.code, x.name, float(x.points), x.departments, float(x.lost), float(x.average)]
        )
    ws = wb.create_sheet("历年得分")
    tabular.append_row(ws, ["单位编码", "单位名称", *[f"{y}年度" for y in stats.years]])
    for t in stats.trends:
        tabular.append_row(
            ws,
            [
                t.code,
                t.department,
                *[None if t.scores.get(y) is None else float(t.scores[y]) for y in stats.years],
            ],
        )
    import io

    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
