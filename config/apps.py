"""Third-party apps under their Chinese names in the admin (their models' and fields' names
come from the translations in locale/zh_Hans)."""

from axes.apps import AppConfig as AxesAppConfig
from django_tasks_db.apps import TasksAppConfig


class AxesConfig(AxesAppConfig):
    verbose_name = "登录安全"


class TasksConfig(TasksAppConfig):
    verbose_name = "后台任务"
