from django.apps import AppConfig


class EvaluationsConfig(AppConfig):
    name = "evaluations"
    verbose_name = "部门整体支出绩效自评"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        # audit and session connect their login and password signal handlers on import
        from . import audit, session, stamps  # noqa: F401

        post_migrate.connect(stamps.install_after_migrate, sender=self)
