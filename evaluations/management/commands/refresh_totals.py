from django.core.management.base import BaseCommand

from evaluations.services.common import refresh_stale_totals


class Command(BaseCommand):
    help = (
        "按评分体系重新计算并存储每份自评的总分与问题数（审核工作台使用）。可重复运行。"
        "加 --if-stale 时，仅在评分程序或评分体系版本变化后才重新计算。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-stale",
            action="store_true",
            help="评分程序与评分体系版本的摘要未变时不重新计算",
        )

    def handle(self, *args, **options):
        count = refresh_stale_totals(force=not options["if_stale"])
        if count:
            self.stdout.write(f"已重新计算 {count} 份自评的总分。")
        else:
            self.stdout.write("评分程序与评分体系未变化，总分无需重新计算。")
