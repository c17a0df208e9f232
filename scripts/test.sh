#!/usr/bin/env bash
# One command on a fresh machine: set up and run every test (lint, unit, consumer, Redis + Celery
# integration, browser), on SQLite and again on PostgreSQL for the database tests.
# In CI (CI=true) a missing Redis, PostgreSQL or Chromium is a failure, never a skip.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh
ensure_venv requirements-dev.txt

export REDIS_TEST_URL=${REDIS_TEST_URL:-redis://127.0.0.1:6379/15}
export POSTGRES_TEST_URL=${POSTGRES_TEST_URL:-postgres://postgres@127.0.0.1:5432/chatbot}

ensure_chromium() {
  command -v chromium >/dev/null 2>&1 && return 0
  echo "Installing Debian's Chromium for the browser tests ..."
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && apt-get install -y -qq chromium >/dev/null
  else
    sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null
  fi
}

ensure_redis() {
  .venv/bin/python - <<'PY' && return 0
import os, redis
redis.Redis.from_url(os.environ["REDIS_TEST_URL"], socket_connect_timeout=2).ping()
PY
  echo "Redis is not answering; starting it ..."
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
  sleep 1
}

ensure_postgres() {
  pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null && return 0
  echo "PostgreSQL is not answering; starting it ..."
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
  sleep 2
}

ensure_chromium
ensure_redis || true
ensure_postgres || true

.venv/bin/ruff check .
.venv/bin/ruff format --check .

echo "== Test suite on SQLite"
.venv/bin/python -m pytest "$@"

echo "== Database tests on PostgreSQL"
DATABASE_URL=$POSTGRES_TEST_URL .venv/bin/python -m pytest -m "not browser" tests/chatbot "$@"
