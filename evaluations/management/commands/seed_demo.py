from django.core.management.base import BaseCommand

from evaluations.demo import DEMO_PASSWORD, DEMO_USERS, PROJECT_USER, seed_demo


class Command(BaseCommand):
    help = "载入演示数据（评分体系、南沙区政协2022年度自评、空白自评与演示用户）。可重复运行。"

    def handle(self, *args, **options):
        done = seed_demo(with_project=True)
        if done:
            for line in done:
                self.stdout.write(f"  新建 {line}")
        else:
            self.stdout.write("演示数据已存在，未作改动。")
        self.stdout.write(f"\n演示用户（仅限开发环境，密码均为 {DEMO_PASSWORD}）：")
        for user in (*DEMO_USERS, PROJECT_USER):
            self.stdout.write(f"  {user.username:<9} {user.role}  {user.description}")
