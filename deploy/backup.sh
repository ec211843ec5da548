#!/usr/bin/env bash
# A backup of the database: a custom-format pg_dump, and beside it the row count of every
# table in the same snapshot (restore-drill.sh compares them). Run daily from cron or a systemd
# timer, as a role that can read every table (the owner), and keep the files off this machine.
#   DATABASE_URL=postgres://owner@db/referrals deploy/backup.sh /var/backups/referrals
set -euo pipefail
dir="${1:?usage: backup.sh DIRECTORY}"
: "${DATABASE_URL:?set DATABASE_URL to the database to back up}"
mkdir -p "$dir"
dump="$dir/referrals-$(date -u +%Y%m%dT%H%M%SZ).dump"

# A session that holds one snapshot open: the counts are read in it, and pg_dump uses it.
coproc SNAPSHOT { psql "$DATABASE_URL" -qAt -v ON_ERROR_STOP=1; }
send() { printf '%s\n' "$1" >&"${SNAPSHOT[1]}"; }
send "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SELECT pg_export_snapshot();"
read -r snapshot <&"${SNAPSHOT[0]}"
send "SELECT table_name || ' ' || (xpath('/row/n/text()', query_to_xml(
        format('SELECT count(*) AS n FROM %I', table_name), false, true, '')))[1]::text
      FROM information_schema.tables
      WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1;
      SELECT 'end of counts';"
: > "$dump.counts"
while read -r line <&"${SNAPSHOT[0]}" && [ "$line" != "end of counts" ]; do
  printf '%s\n' "$line" >> "$dump.counts"
done
pg_dump --format=custom --snapshot="$snapshot" --file="$dump.partial" "$DATABASE_URL"
send "COMMIT;"
exec {SNAPSHOT[1]}>&-
wait
mv "$dump.partial" "$dump"
echo "$dump"
