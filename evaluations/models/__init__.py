"""The data model. Split by concern; everything is importable from evaluations.models."""

from .account import PasswordRecord
from .evaluation import (
    BonusEvent,
    DutyIndicator,
    DutyTask,
    Evaluation,
    Evidence,
    EvidenceLink,
    FigureValue,
    IndicatorAnswer,
    ReportSection,
    TargetDeclaration,
)
from .jobs import BulkJob
from .org import Department, FiscalYear, Region, RubricVersion
from .renders import PdfRender
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
    "EvidenceLink",
    "FieldChange",
    "FigureValue",
    "FiscalYear",
    "IndicatorAnswer",
    "PasswordRecord",
    "PdfRender",
    "PublishedReport",
    "Region",
    "Reminder",
    "ReportSection",
    "ReviewedScore",
    "RubricVersion",
    "SubmissionSnapshot",
    "TargetDeclaration",
]
