"""python manage.py open_round REGION_CODE YEAR --rubric KEY --deadline YYYY-MM-DD
[--departments CODE,...] [--remind-days N]: 开启年度评价 from the command line."""

import datetime

from django.core.management.base import BaseCommand, CommandError

from evaluations.models import Department, Region, RubricVersion
from evaluations.services.errors import ServiceError
from evaluations.services.rounds import round_open


class Command(BaseCommand):
    help = (
        "开启一个区域某年度的部门整体支出绩效自评：设置评分体系与填报截止日期，为各部门创建自评，"
        "并沿用其上一年度的基本情况、机构设置、人员编制和履职效能指标。可重复运行，已有的不会重复创建。"
    )

    def add_arguments(self, parser):
        parser.add_argument("region", help="区域编码")
        parser.add_argument("year", type=int, help="年度，如 2023")
        parser.add_argument("--rubric", required=True, help="评分体系版本标识（key）")
        parser.add_argument("--deadline", required=True, help="填报截止日期，YYYY-MM-DD")
        parser.add_argument(
            "--departments", default="", help="只为这些部门（单位编码，逗号分隔）创建；默认全部"
        )
        parser.add_argument(
            "--remind-days", type=int, default=None, help="截止前多少天自动提醒（默认 7）"
        )

    def handle(self, *args, **options):
        try:
            region = Region.objects.get(code=options["region"])
        except Region.DoesNotExist as exc:
            raise CommandError(f"没有编码为 {options['region']} 的区域") from exc
        try:
            rubric = RubricVersion.objects.get(key=options["rubric"])
        except RubricVersion.DoesNotExist as exc:
            raise CommandError(f"没有标识为 {options['rubric']} 的评分体系版本") from exc
        try:
            deadline = datetime.date.fromisoformat(options["deadline"])
        except ValueError as exc:
            raise CommandError("截止日期应写作 YYYY-MM-DD，如 2024-03-31") from exc
        departments = None
        codes = [c.strip() for c in options["departments"].split(",") if c.strip()]
        if codes:
            departments = list(Department.objects.filter(region=region, code__in=codes))
            unknown = sorted(set(codes) - {d.code for d in departments})
            if unknown:
                raise CommandError(f"本区域没有这些单位编码：{'，'.join(unknown)}")
        remind = options["remind_days"]
        if remind is not None and not 0 <= remind <= 90:
            raise CommandError("提前提醒天数应为 0 到 90")
        try:
            result = round_open(
                actor=None,
                region=region,
                year=options["year"],
                rubric=rubric,
                deadline=deadline,
                departments=departments,
                remind_days_before=remind,
            )
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"{region.name}{result.summary}")
