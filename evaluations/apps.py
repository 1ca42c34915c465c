from django.apps import AppConfig


class EvaluationsConfig(AppConfig):
    name = "evaluations"
    verbose_name = "部门整体支出绩效自评"

    def ready(self) -> None:
        from . import audit  # noqa: F401 - connects the login signal handlers
