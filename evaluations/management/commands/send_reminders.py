"""python manage.py send_reminders: the daily run of automatic reminders (cron, a systemd
timer, or --enqueue for the worker)."""

import datetime

from django.core.management.base import BaseCommand, CommandError

from evaluations.services.reminders import reminders_send_due


class Command(BaseCommand):
    help = (
        "向尚未提交的部门发送填报提醒邮件：截止日期前 N 天（N 按年度设置）及逾期后。"
        "每天运行一次；同一份自评同一天最多提醒一次，已提交的不提醒。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", default="", help="按这一天计算（YYYY-MM-DD，默认今天）")
        parser.add_argument(
            "--enqueue", action="store_true", help="不在本进程发送，交给后台任务进程（db_worker）"
        )

    def handle(self, *args, **options):
        today = None
        if options["date"]:
            try:
                today = datetime.date.fromisoformat(options["date"])
            except ValueError as exc:
                raise CommandError("日期应写作 YYYY-MM-DD") from exc
        if options["enqueue"]:
            from evaluations.tasks import send_due_reminders

            send_due_reminders.enqueue(today.isoformat() if today else "")
            self.stdout.write("已交给后台任务发送提醒。")
            return
        outcome = reminders_send_due(today)
        self.stdout.write(outcome.summary)
