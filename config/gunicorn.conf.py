"""gunicorn's settings for the web process (scripts/app.sh web), from the environment:

GUNICORN_BIND     address to listen on (default 0.0.0.0:8000, as in the image)
GUNICORN_WORKERS  worker processes (default 3; CI's smoke test runs 2 on its 2 cores)
GUNICORN_THREADS  threads per worker (default 4)
GUNICORN_TIMEOUT  seconds before a silent worker is restarted (default 60)
GUNICORN_WORKER_CONNECTIONS  simultaneous connections a worker accepts (default 1000, gunicorn's).
    Each worker is one Python process (one core at a time); persistent connections stay with
    the worker that accepted them, so behind a proxy that keeps a pool of connections open, a
    cap of about (pool size ÷ workers) + a few spreads them over the workers (make bench: 20).
"""

import os
from pathlib import Path

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
worker_connections = int(os.environ.get("GUNICORN_WORKER_CONNECTIONS", "1000"))
graceful_timeout = 30
keepalive = 5
# The access log and errors on stdout/stderr, where docker and CI collect them.
accesslog = "-"
errorlog = "-"
# No control socket (gunicorn ≥ 25 opens one under $HOME, which the image's user cannot write
# and two instances on one machine would share); signals and the orchestrator manage it.
control_socket_disable = True
# Heartbeat files in memory where there is /dev/shm (a container's overlay disk can stall them).
if Path("/dev/shm").is_dir():
    worker_tmp_dir = "/dev/shm"
