"""Writes. Every change to the data goes through a function here, inside a transaction.
Domain errors (services.errors) carry a message for the user."""

from .accounts import password_changed_record
from .bulk import BULK_ACTIONS, MAX_BULK, BulkOutcome, evaluations_bulk_transition
from .editing import (
    DEPARTMENT_FIELDS,
    AnswerInput,
    RowInput,
    TaskInput,
    evaluation_save_answers,
    evaluation_save_basic,
    evaluation_save_duty,
    evaluation_save_figures,
    evaluation_save_sections,
)
from .errors import (
    FieldInvalid,
    NotAllowed,
    NotEditable,
    NotFound,
    ServiceError,
    StaleVersion,
    SubmissionBlocked,
)
from .evidence import evidence_delete, evidence_upload
from .jobs import bulk_job_start
from .projects import evaluation_create_project
from .publishing import evaluation_publish
from .review import (
    EventInput,
    ImportOutcome,
    ImportRow,
    annotation_add,
    annotation_reply,
    annotation_resolve,
    evaluation_set_notified,
    evaluation_set_reviewed,
    notified_import,
)
from .rubrics import rubric_load
from .transitions import (
    evaluation_approve,
    evaluation_reopen,
    evaluation_return,
    evaluation_submit,
    evaluation_withdraw,
)

__all__ = [
    "BULK_ACTIONS",
    "DEPARTMENT_FIELDS",
    "MAX_BULK",
    "AnswerInput",
    "BulkOutcome",
    "EventInput",
    "FieldInvalid",
    "ImportOutcome",
    "ImportRow",
    "NotAllowed",
    "NotEditable",
    "NotFound",
    "RowInput",
    "ServiceError",
    "StaleVersion",
    "SubmissionBlocked",
    "TaskInput",
    "annotation_add",
    "annotation_reply",
    "annotation_resolve",
    "bulk_job_start",
    "evaluation_approve",
    "evaluation_create_project",
    "evaluation_publish",
    "evaluation_reopen",
    "evaluation_return",
    "evaluation_save_answers",
    "evaluation_save_basic",
    "evaluation_save_duty",
    "evaluation_save_figures",
    "evaluation_save_sections",
    "evaluation_set_notified",
    "evaluation_set_reviewed",
    "evaluation_submit",
    "evaluation_withdraw",
    "evaluations_bulk_transition",
    "evidence_delete",
    "evidence_upload",
    "notified_import",
    "password_changed_record",
    "rubric_load",
]
