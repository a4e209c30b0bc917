#!/usr/bin/env bash
# Start a PostgreSQL cluster on 127.0.0.1:5432 with a role and database for the gradebook tests.
set -euo pipefail
ver=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
if ! pg_lsclusters -h | grep -q .; then
    pg_createcluster "$ver" main >/dev/null
fi
pg_ctlcluster "$ver" main start 2>/dev/null || true
for _ in $(seq 30); do pg_isready -h 127.0.0.1 -q && break; sleep 1; done
su postgres -c "psql -q -tc \"SELECT 1 FROM pg_roles WHERE rolname='coursekit'\" | grep -q 1 || psql -q -c \"CREATE ROLE coursekit LOGIN PASSWORD 'coursekit' CREATEDB\""
su postgres -c "psql -q -tc \"SELECT 1 FROM pg_database WHERE datname='coursekit_test'\" | grep -q 1 || createdb -O coursekit coursekit_test"
echo "COURSEKIT_TEST_POSTGRES=postgresql://coursekit:coursekit@127.0.0.1:5432/coursekit_test"
