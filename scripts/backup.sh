#!/usr/bin/env bash
# Backup: the PostgreSQL database (pg_dump, custom format) and the file storage (evidence and
# published PDFs), with a manifest of SHA-256 sums.
#
#   DATABASE_URL=postgres://… MEDIA_ROOT=/path/to/media scripts/backup.sh BACKUP_DIR
#
# With S3-compatible storage (S3_BUCKET set, as in docker-compose) the bucket's objects are
# copied by scripts/storage_sync.py (boto3; S3_* variables as in config/settings.py) into the
# same media.tar.gz; PYTHON names the interpreter that has boto3 (default python3).
set -euo pipefail
out=${1:?usage: backup.sh BACKUP_DIR}
: "${DATABASE_URL:?DATABASE_URL is required}"
mkdir -p "$out"
pg_dump --format=custom --no-owner --no-privileges --file="$out/db.dump" "$DATABASE_URL"
if [ -n "${S3_BUCKET:-}" ]; then
    staging=$(mktemp -d)
    trap 'rm -rf "$staging"' EXIT
    "${PYTHON:-python3}" "$(dirname "$0")/storage_sync.py" download "$staging"
    tar -C "$staging" -czf "$out/media.tar.gz" .
else
    media=${MEDIA_ROOT:-var/media}
    mkdir -p "$media"
    tar -C "$media" -czf "$out/media.tar.gz" .
fi
(cd "$out" && sha256sum db.dump media.tar.gz 2>/dev/null > MANIFEST.sha256 || true)
echo "备份完成：$out"
