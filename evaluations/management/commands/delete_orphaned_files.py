from django.core.management.base import BaseCommand

from evaluations.services.publishing import delete_orphaned_files


class Command(BaseCommand):
    help = (
        "删除存储中没有任何已公开报告引用、且已存在超过一小时的公开 PDF"
        "（公开过程中进程中断时留下的文件）。可重复运行，建议每日运行。"
    )

    def handle(self, *args, **options):
        deleted = delete_orphaned_files()
        for name in deleted:
            self.stdout.write(f"已删除：{name}")
        self.stdout.write(f"共删除 {len(deleted)} 个无引用的公开 PDF。")
