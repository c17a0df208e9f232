#!/usr/bin/env bash
# One command on a fresh machine: set up and run the app in the embedded default mode
# (SQLite, in-memory channel layer, inference in-process). Trains the demo model if none exists.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh
ensure_venv requirements.txt

export DEBUG=${DEBUG:-true}
host=${HOST:-127.0.0.1}
port=${PORT:-8000}

.venv/bin/python manage.py migrate --noinput
.venv/bin/python manage.py ensure_demo_model
.venv/bin/python manage.py ensure_demo_customer
echo
echo "  Chat page:   http://$host:$port/"
echo "  Widget demo: http://$host:$port/widget/demo/"
echo
exec .venv/bin/python manage.py runserver "$host:$port"
