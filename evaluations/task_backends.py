"""The development task backend: tasks run in a small thread pool of the web process, after
the request has enqueued them (on commit), never inside the request.

Why a thread and not Django's ImmediateBackend: the immediate backend runs the task inside
the request that enqueues it, so a region of 100 departments timed out the page, and a draft
preview rendered its PDF in the request. Why not "after the response" (request_finished): the
development server would still hold the connection's thread, and a task enqueued outside a
request (a management command, the shell) would never run. A thread pool covers both; the
page only enqueues and polls the job's row.

Robustness: the tasks record their state on their rows (BulkJob, PdfRender) with a
heartbeat; if the development server restarts mid-task, the heartbeat stops and the row is
marked failed (bulk jobs) or queued again (renders) by the next request, so nothing jams.
`run_after` is honoured with a timer (the draft render's debounce). Production uses the
database backend and db_worker; this one is for `make run` only.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from django.db import close_old_connections, connections
from django.tasks.backends.immediate import ImmediateBackend
from django.tasks.base import TaskResult, TaskResultStatus
from django.utils import timezone
from django.utils.crypto import get_random_string

log = logging.getLogger(__name__)

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _executor(workers: int) -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="task")
        return _pool


class ThreadBackend(ImmediateBackend):
    supports_defer = True

    def __init__(self, alias, params):
        super().__init__(alias, params)
        self.workers = int(params.get("OPTIONS", {}).get("workers", 2))

    def _run(self, task_result: TaskResult) -> None:
        try:
            close_old_connections()  # a connection left by the thread's previous task
        except Exception:
            log.warning("后台任务线程的旧数据库连接无法检查，已跳过", exc_info=True)
        try:
            self._execute_task(task_result)  # catches and records the task's exceptions
        except Exception:
            log.exception("后台任务执行失败：%s", task_result.task.name)
        finally:
            try:
                connections.close_all()
            except Exception:
                log.exception("后台任务关闭数据库连接失败")

    def enqueue(self, task, args, kwargs):
        self.validate_task(task)
        task_result = TaskResult(
            task=task,
            id=get_random_string(32),
            status=TaskResultStatus.READY,
            enqueued_at=None,
            started_at=None,
            last_attempted_at=None,
            finished_at=None,
            args=args,
            kwargs=kwargs,
            backend=self.alias,
            errors=[],
            worker_ids=[],
        )
        pool = _executor(self.workers)
        delay = 0.0
        if task.run_after is not None:
            delay = max(0.0, (task.run_after - timezone.now()).total_seconds())
        if delay:
            timer = threading.Timer(delay, pool.submit, args=(self._run, task_result))
            timer.daemon = True
            timer.start()
        else:
            pool.submit(self._run, task_result)
        return task_result
