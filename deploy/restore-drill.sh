#!/usr/bin/env bash
# The restore drill: restore a backup into a scratch database on the same server, then prove
# it - the audit log's hash chain verifies from its first row to its last, and every table has
# the rows the backup counted. The scratch database is dropped afterwards, whatever happens.
#   DATABASE_URL=postgres://owner@db/referrals deploy/restore-drill.sh /var/backups/referrals/referrals-....dump
# DATABASE_URL names the server (and a role that may create databases); the live database is
# only read for its address, never written.
set -euo pipefail
dump="${1:?usage: restore-drill.sh BACKUP.dump}"
: "${DATABASE_URL:?set DATABASE_URL to a database on the server to restore onto}"
here="$(cd "$(dirname "$0")/.." && pwd)"
python="${PYTHON:-$here/.venv/bin/python}"
scratch="referrals_drill_$(date -u +%Y%m%d%H%M%S)_$$"
server="${DATABASE_URL%/*}"
scratch_url="$server/$scratch"

createdb --maintenance-db="$DATABASE_URL" "$scratch"
trap 'dropdb --maintenance-db="$DATABASE_URL" --if-exists "$scratch"' EXIT
pg_restore --no-owner --no-privileges --exit-on-error --dbname="$scratch_url" "$dump"

DATABASE_URL="$scratch_url" "$python" "$here/manage.py" verify_audit

if [ -f "$dump.counts" ]; then
  failed=0
  while read -r table expected; do
    actual="$(psql "$scratch_url" -At -c "SELECT count(*) FROM \"$table\"")"
    if [ "$actual" != "$expected" ]; then
      echo "row count differs for $table: backup $expected, restored $actual" >&2
      failed=1
    fi
  done < "$dump.counts"
  [ "$failed" = 0 ] || exit 1
  echo "Row counts match the backup: $(wc -l < "$dump.counts") tables."
else
  echo "No $dump.counts beside the backup: row counts not checked." >&2
  exit 1
fi
echo "Restore drill passed: $dump restored into a scratch database, checked, and dropped."
