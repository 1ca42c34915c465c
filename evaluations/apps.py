from django.apps import AppConfig


class EvaluationsConfig(AppConfig):
    name = "evaluations"
    verbose_name = "部门整体支出绩效自评"

    def ready(self) -> None:
        from . import audit, session  # noqa: F401 - connect the login and password signal handlers
