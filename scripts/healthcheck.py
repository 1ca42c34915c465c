"""The web container's health check (docker-compose.yml; CI's smoke test runs it too): GET
/healthz from the gunicorn of this container, sent as the HTTPS proxy in front of it would
send it, so that the production settings answer and not a redirect or a host refusal:

- Host: the first name of DJANGO_ALLOWED_HOSTS (a request for "127.0.0.1" gets 400 when only
  the site's own name is allowed);
- X-Forwarded-Proto: https (with DJANGO_SECURE_SSL_REDIRECT=1 a plain request gets 301).

The address is GUNICORN_BIND's (0.0.0.0 becomes 127.0.0.1). Exit status 0 when /healthz
answers 200 (database and storage up), 1 otherwise; the answer is printed.
"""

from __future__ import annotations

import http.client
import os
import sys


def target() -> tuple[str, int, str]:
    bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
    address, _, port = bind.rpartition(":")
    if address in ("", "0.0.0.0", "[::]"):
        address = "127.0.0.1"
    hosts = [h.strip() for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",")]
    host = next((h.lstrip(".") for h in hosts if h and h != "*"), "localhost")
    return address.strip("[]"), int(port), host


def main() -> int:
    address, port, host = target()
    try:
        connection = http.client.HTTPConnection(address, port, timeout=4)
        connection.request("GET", "/healthz", headers={"Host": host, "X-Forwarded-Proto": "https"})
        response = connection.getresponse()
        body = response.read(500).decode("utf-8", "replace")
    except OSError as exc:
        print(f"/healthz 无应答：{exc}")
        return 1
    print(f"/healthz {response.status} {body}")
    return 0 if response.status == 200 else 1


if __name__ == "__main__":
    sys.exit(main())
