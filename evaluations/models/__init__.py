"""The data model. Split by concern; everything is importable from evaluations.models."""

from .evaluation import (
    BonusEvent,
    DutyIndicator,
    DutyTask,
    Evaluation,
    Evidence,
    FigureValue,
    IndicatorAnswer,
    ReportSection,
)
from .jobs import BulkJob
from .org import Department, FiscalYear, Region, RubricVersion
from .review import (
    Annotation,
    AuditLog,
    EvaluationEvent,
    FieldChange,
    PublishedReport,
    ReviewedScore,
    SubmissionSnapshot,
)
from .rounds import DeadlineExtension, Reminder

__all__ = [
    "Annotation",
    "AuditLog",
    "BonusEvent",
    "BulkJob",
    "DeadlineExtension",
    "Department",
    "DutyIndicator",
    "DutyTask",
    "Evaluation",
    "EvaluationEvent",
    "Evidence",
    "FieldChange",
    "FigureValue",
    "FiscalYear",
    "IndicatorAnswer",
    "PublishedReport",
    "Region",
    "Reminder",
    "ReportSection",
    "ReviewedScore",
    "RubricVersion",
    "SubmissionSnapshot",
]
