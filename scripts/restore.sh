#!/usr/bin/env bash
# Restore a backup made by backup.sh into an EMPTY database and storage directory.
#
#   DATABASE_URL=postgres://…/new_db MEDIA_ROOT=/path/to/new/media scripts/restore.sh BACKUP_DIR
#
# With S3_BUCKET set the files go into that (empty) bucket instead, by scripts/storage_sync.py.
set -euo pipefail
in=${1:?usage: restore.sh BACKUP_DIR}
: "${DATABASE_URL:?DATABASE_URL is required}"
(cd "$in" && sha256sum --check --quiet MANIFEST.sha256)
pg_restore --no-owner --no-privileges --exit-on-error --dbname="$DATABASE_URL" "$in/db.dump"
if [ -f "$in/media.tar.gz" ] && [ -n "${S3_BUCKET:-}" ]; then
    staging=$(mktemp -d)
    trap 'rm -rf "$staging"' EXIT
    tar -C "$staging" -xzf "$in/media.tar.gz"
    "${PYTHON:-python3}" "$(dirname "$0")/storage_sync.py" upload "$staging"
elif [ -f "$in/media.tar.gz" ]; then
    media=${MEDIA_ROOT:-var/media}
    mkdir -p "$media"
    tar -C "$media" -xzf "$in/media.tar.gz"
fi
echo "恢复完成。"
