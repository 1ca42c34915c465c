from django.core.management.base import BaseCommand

from evaluations.models import Evaluation
from evaluations.services.common import refresh_totals


class Command(BaseCommand):
    help = "按评分体系重新计算并存储每份自评的总分与问题数（审核工作台使用）。可重复运行。"

    def handle(self, *args, **options):
        count = 0
        for pk in Evaluation.objects.values_list("pk", flat=True).iterator():
            refresh_totals(pk)
            count += 1
        self.stdout.write(f"已重新计算 {count} 份自评的总分。")
