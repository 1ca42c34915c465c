import json

from django.core.management.base import BaseCommand, CommandError
from django.http import Http404

from evaluations.checks import check_evaluation
from evaluations.scoring import score_evaluation, sheet_as_dict
from evaluations.selectors import evaluation_by_department_year


def _n(value) -> str:
    return "—" if value is None else f"{value:.2f}"


class Command(BaseCommand):
    help = "打印一个部门某年度的自评表：各指标的分值、计算分、自评分、复核分、最终得分、评分依据与提示。"

    def add_arguments(self, parser):
        parser.add_argument("department_code", help="单位编码，如 nansha-cppcc-office")
        parser.add_argument("year", type=int, help="年度，如 2022")
        parser.add_argument(
            "--project",
            default=None,
            help="项目名称：项目支出绩效自评；省略时为该部门该年度的部门整体支出绩效自评",
        )
        parser.add_argument("--json", action="store_true", help="以 JSON 输出")

    def handle(
        self,
        *args,
        department_code: str,
        year: int,
        project: str | None = None,
        json: bool = False,
        **options,
    ):
        try:
            evaluation = evaluation_by_department_year(department_code, year, project)
        except Http404 as exc:
            raise CommandError(str(exc)) from exc
        sheet = score_evaluation(evaluation)
        if json:
            self._json(evaluation, sheet)
        else:
            self._table(evaluation, sheet)

    def _json(self, evaluation, sheet):
        data = sheet_as_dict(evaluation, sheet)
        data["consistency"] = [
            {"field": f.field, "code": f.code, "severity": f.severity, "message": f.message}
            for f in check_evaluation(evaluation, sheet)
        ]
        self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))

    def _table(self, evaluation, sheet):
        w = self.stdout.write
        w(
            f"{evaluation.department.name}  {evaluation.fiscal_year.year}年度{evaluation.rubric.spec.evaluation_name}表"
        )
        if evaluation.project:
            w(f"项目名称：{evaluation.project}")
        w(f"评分体系：{evaluation.rubric.title}（{evaluation.rubric.key}）")
        w("")
        w(f"{'编码':<8}{'指标':<30}{'分值':>7}{'计算分':>8}{'自评分':>8}{'复核分':>8}{'得分':>8}")
        for line in sheet.lines:
            name = "  " * (line.level - 1) + line.name
            if len(name) > 28:
                name = name[:27] + "…"
            w(
                f"{line.code:<10}{name:<{30 - _wide(name)}}{_n(line.points):>8}{_n(line.computed):>9}"
                f"{_n(line.claimed):>9}{_n(line.reviewed):>9}{_n(line.final):>9}"
            )
            if line.basis:
                w(f"{'':10}  依据：{line.basis}")
            for warning in line.warnings:
                w(f"{'':10}  ！{warning.message}")
        t = sheet.totals
        w("")
        w(
            f"总分：计算 {_n(t.computed)}  自评 {_n(t.claimed)}  复核 {_n(t.reviewed)}  "
            f"最终 {_n(t.final)}（{sheet.grade}）"
        )
        if t.coverage_text:
            w(f"计算总分中：{t.coverage_text}")
        findings = check_evaluation(evaluation, sheet)
        if findings:
            w("")
            w("收支数据核对：")
            for f in findings:
                w(f"  ！{f.message}")


def _wide(text: str) -> int:
    """Count of wide (CJK) characters, which take two columns in a terminal."""
    return sum(1 for ch in text if ord(ch) > 0x2E80)
