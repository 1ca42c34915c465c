from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from evaluations.backup import BackupError, backup


class Command(BaseCommand):
    help = (
        "备份：数据库与存储中的文件取同一时点（PostgreSQL 快照 / SQLite 在线备份），"
        "并写出含各文件 SHA-256 的清单。scripts/backup.sh 调用本命令。"
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", help="备份目录（新建或空目录）")

    def handle(self, *args, directory: str, **options):
        try:
            manifest = backup(Path(directory))
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"备份完成：{directory}（{len(manifest['files'])} 个文件）")
