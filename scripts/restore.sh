#!/usr/bin/env bash
# Restore a backup made by backup.sh into an EMPTY database and storage directory.
#
#   DATABASE_URL=postgres://…/new_db MEDIA_ROOT=/path/to/new/media scripts/restore.sh BACKUP_DIR
set -euo pipefail
in=${1:?usage: restore.sh BACKUP_DIR}
: "${DATABASE_URL:?DATABASE_URL is required}"
(cd "$in" && sha256sum --check --quiet MANIFEST.sha256)
pg_restore --no-owner --no-privileges --exit-on-error --dbname="$DATABASE_URL" "$in/db.dump"
if [ -f "$in/media.tar.gz" ]; then
    media=${MEDIA_ROOT:-var/media}
    mkdir -p "$media"
    tar -C "$media" -xzf "$in/media.tar.gz"
fi
echo "恢复完成。"
