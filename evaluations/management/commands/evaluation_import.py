import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from evaluations import transfer
from evaluations.services.errors import ServiceError
from evaluations.services.transfer import evaluation_import


class Command(BaseCommand):
    help = (
        "导入一个自评的数据（JSON，格式见 docs/evaluation-data.md）。先按评分体系校验全部内容，"
        "有任何问题则列出并拒绝导入，不作任何改动；通过后替换该自评中文件所含的各部分数据。"
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="JSON 文件路径；为 - 时从标准输入读取")
        parser.add_argument(
            "--create",
            action="store_true",
            help="区域、部门、年度或自评不存在时一并新建（年度采用文件所列、已载入的评分体系版本）",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="只校验并报告结果，不保存任何改动"
        )

    def handle(self, *args, path: str, create: bool = False, dry_run: bool = False, **options):
        data = self._read(path)
        try:
            raw = transfer.read_json(data)
            result = evaluation_import(raw, create=create, dry_run=dry_run)
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        for line in result.created:
            self.stdout.write(f"  {'将新建' if dry_run else '新建'} {line}")
        verb = "校验通过（试运行，未保存）" if dry_run else "已导入"
        self.stdout.write(
            f"{verb}：{result.evaluation}，共 {result.changes} 处字段{'将' if dry_run else ''}变更。"
        )

    def _read(self, path: str) -> bytes:
        limit = transfer.MAX_BYTES
        try:
            if path == "-":
                data = sys.stdin.buffer.read(limit + 1)
            else:
                file = Path(path)
                if file.stat().st_size > limit:
                    raise CommandError(f"文件过大（{file.stat().st_size} 字节），上限 5 MB")
                with file.open("rb") as f:
                    data = f.read(limit + 1)
        except OSError as exc:
            raise CommandError(f"无法读取 {path}：{exc.strerror}") from exc
        return data
