from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from evaluations.backup import BackupError, restore


class Command(BaseCommand):
    help = (
        "从 backup 命令的备份恢复到空的数据库与存储，并按数据库记录的 SHA-256 核对每个文件，"
        "不符即失败。scripts/restore.sh 调用本命令。"
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", help="备份目录")

    def handle(self, *args, directory: str, **options):
        try:
            count = restore(Path(directory))
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"恢复完成：{count} 个文件均已按 SHA-256 核对无误。")
