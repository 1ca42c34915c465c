"""Writes. Every change to the data goes through a function here, inside a transaction.
Domain errors (services.errors) carry a message for the user."""

from .accounts import password_changed_record
from .bulk import BULK_ACTIONS, MAX_BULK, BulkOutcome, evaluations_bulk_transition
from .carry_over import evaluation_copy_previous
from .declaration import (
    declaration_approve,
    declaration_return,
    declaration_save,
    declaration_submit,
    targets_for,
)
from .editing import (
    DEPARTMENT_FIELDS,
    AnswerInput,
    ReportMeta,
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
from .evidence import (
    Uploaded,
    evidence_attach,
    evidence_delete,
    evidence_detach,
    evidence_store,
    evidence_upload,
)
from .jobs import bulk_job_cancel, bulk_job_restart, bulk_job_start, bulk_jobs_expire
from .projects import evaluation_create_project
from .publishing import evaluation_publish, evaluation_publish_request
from .renders import render_request
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
    "ReportMeta",
    "RowInput",
    "ServiceError",
    "StaleVersion",
    "SubmissionBlocked",
    "TaskInput",
    "Uploaded",
    "annotation_add",
    "annotation_reply",
    "annotation_resolve",
    "bulk_job_cancel",
    "bulk_job_restart",
    "bulk_job_start",
    "bulk_jobs_expire",
    "declaration_approve",
    "declaration_return",
    "declaration_save",
    "declaration_submit",
    "evaluation_approve",
    "evaluation_copy_previous",
    "evaluation_create_project",
    "evaluation_publish",
    "evaluation_publish_request",
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
    "evidence_attach",
    "evidence_delete",
    "evidence_detach",
    "evidence_store",
    "evidence_upload",
    "notified_import",
    "password_changed_record",
    "render_request",
    "rubric_load",
    "targets_for",
]
