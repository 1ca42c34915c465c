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
    TargetDeclaration,
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

__all__ = [
    "Annotation",
    "AuditLog",
    "BonusEvent",
    "BulkJob",
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
    "ReportSection",
    "ReviewedScore",
    "RubricVersion",
    "SubmissionSnapshot",
    "TargetDeclaration",
]
