from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from evaluations.demo import DEMO_PASSWORD, DEMO_USERS, PROJECT_USER, seed_demo

FORCE_FLAG = "--allow-demo-users-in-production"

REFUSAL = (
    "拒绝载入演示数据：DJANGO_DEBUG 未开启（生产环境）。演示数据会建立超级用户 admin 等演示账号，"
    f"其密码 {DEMO_PASSWORD} 是公开的，任何人都能用它登录。开发环境请设置 DJANGO_DEBUG=1"
    f"（make run 即如此）；如确需在生产设置下载入（例如一次性的演示实例），请加 {FORCE_FLAG}。"
)


class Command(BaseCommand):
    help = (
        "载入演示数据（评分体系、南沙区政协2022年度自评、空白自评与演示用户）。可重复运行。"
        f"DJANGO_DEBUG 未开启时拒绝运行，除非加 {FORCE_FLAG}。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            FORCE_FLAG,
            action="store_true",
            dest="allow_in_production",
            help="在 DJANGO_DEBUG 未开启时仍建立演示用户（密码公开，仅用于一次性的演示实例）",
        )

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["allow_in_production"]:
            raise CommandError(REFUSAL)
        if not settings.DEBUG:
            self.stderr.write(
                f"警告：在生产设置下建立演示用户（{FORCE_FLAG}），其密码是公开的，"
                "请勿用于真实数据。"
            )
        done = seed_demo(with_project=True)
        if done:
            for line in done:
                self.stdout.write(f"  新建 {line}")
        else:
            self.stdout.write("演示数据已存在，未作改动。")
        self.stdout.write(f"\n演示用户（仅限开发环境，密码均为 {DEMO_PASSWORD}）：")
        for user in (*DEMO_USERS, PROJECT_USER):
            self.stdout.write(f"  {user.username:<9} {user.role}  {user.description}")
