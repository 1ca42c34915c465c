from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.http import Http404

from evaluations import transfer
from evaluations.selectors import evaluation_by_department_year


class Command(BaseCommand):
    help = (
        "导出一个部门某年度自评的数据（JSON，格式见 docs/evaluation-data.md）："
        "收支数据、指标自评、绩效指标、加减分事项、报告正文等。"
    )

    def add_arguments(self, parser):
        parser.add_argument("department_code", help="单位编码，如 nansha-cppcc-office")
        parser.add_argument("year", type=int, help="年度，如 2022")
        parser.add_argument(
            "--project",
            default=None,
            help="项目名称：项目支出绩效自评；省略时为该部门该年度的部门整体支出绩效自评",
        )
        parser.add_argument(
            "-o", "--output", default="-", help="输出文件路径；省略或为 - 时输出到屏幕"
        )

    def handle(
        self,
        *args,
        department_code: str,
        year: int,
        project: str | None = None,
        output: str = "-",
        **options,
    ):
        try:
            evaluation = evaluation_by_department_year(department_code, year, project)
        except Http404 as exc:
            raise CommandError(str(exc)) from exc
        text = transfer.dumps(transfer.export_data(evaluation))
        if output == "-":
            self.stdout.write(text, ending="")
            return
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"无法写入 {output}：{exc.strerror}") from exc
        self.stderr.write(f"已导出：{evaluation} → {output}")
