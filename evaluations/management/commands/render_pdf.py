from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.http import Http404

from evaluations.reports import ReportError, render_pdf
from evaluations.selectors import evaluation_by_department_year
from evaluations.workflow import Status


class Command(BaseCommand):
    help = "写出一个部门某年度的自评报告与自评表 PDF：已公开的取存档文件，否则生成草稿。"

    def add_arguments(self, parser):
        parser.add_argument("department_code")
        parser.add_argument("year", type=int)
        parser.add_argument(
            "--project",
            default=None,
            help="项目名称：项目支出绩效自评；省略时为该部门该年度的部门整体支出绩效自评",
        )
        parser.add_argument("-o", "--output", required=True, help="输出文件路径")

    def handle(
        self,
        *args,
        department_code: str,
        year: int,
        project: str | None = None,
        output: str,
        **options,
    ):
        try:
            evaluation = evaluation_by_department_year(department_code, year, project)
        except Http404 as exc:
            raise CommandError(str(exc)) from exc
        current = evaluation.publications.filter(superseded_at__isnull=True).first()
        if evaluation.status == Status.PUBLISHED and current is not None:
            with current.file.open("rb") as handle:
                data = handle.read()
            kind = f"已公开版本（SHA-256 {current.sha256}）"
        else:
            try:
                data = render_pdf(evaluation, draft=True)
            except ReportError as exc:
                raise CommandError(exc.message) from exc
            kind = "草稿"
        Path(output).write_bytes(data)
        self.stdout.write(f"已写出{kind}：{output}（{len(data) / 1024:.0f} KiB）")
