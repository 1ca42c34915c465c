from django.core.management.base import BaseCommand, CommandError

from evaluations.services import rubric_load
from rubric.loader import RubricError


class Command(BaseCommand):
    help = "校验并载入一个评分体系数据文件（YAML）。已载入的版本不可修改。"

    def add_arguments(self, parser):
        parser.add_argument(
            "path", help="评分体系数据文件路径，如 rubric/versions/guangzhou-nansha-2022.yaml"
        )

    def handle(self, *args, path: str, **options):
        try:
            version, created = rubric_load(path)
        except RubricError as exc:
            raise CommandError(f"评分体系文件有误，未载入：{exc}") from exc
        spec = version.spec
        verb = "已载入" if created else "已存在（内容相同，未改动）"
        self.stdout.write(
            f"{verb}：{version.title}（{version.key}），{len(spec.leaves())} 个末级指标，总分 {spec.total_points}"
        )
