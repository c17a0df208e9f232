#!/bin/sh
# The images' commands (docs/deployment.md). Each is the command the tests start: daphne serving
# chatbot.asgi:application, `celery -A chatbot worker -Q inference`, and so on. Arguments after the
# role go to its command (`inference-worker --hostname gpu1@%h`); any other command runs as given:
# `docker compose run --rm migrate python manage.py train_model ...`.
set -eu

role=${1:-web}
[ "$#" -gt 0 ] && shift

case "$role" in
  web)
    # --proxy-headers: the client's address and scheme come from nginx's X-Forwarded-* headers.
    exec python -m daphne --bind "${BIND_ADDRESS:-0.0.0.0}" --port "${PORT:-8000}" --proxy-headers \
      chatbot.asgi:application "$@"
    ;;
  inference-worker)
    # One process, one copy of the model; the replies of its pool's threads are decoded together in
    # batches (inference/batching.py), so the pool is as large as a batch. Scale with more containers.
    exec python -m celery -A chatbot worker -Q inference --pool threads \
      --concurrency "${WORKER_CONCURRENCY:-${CHATBOT_BATCH_MAX_SIZE:-16}}" --loglevel "${LOG_LEVEL:-INFO}" "$@"
    ;;
  default-worker)
    # Every task that is not model work (scheduled maintenance, exports); never loads the model.
    exec python -m celery -A chatbot worker -Q default --concurrency 1 --loglevel "${LOG_LEVEL:-INFO}" "$@"
    ;;
  beat)
    # The periodic tasks of CELERY_BEAT_SCHEDULE; exactly one beat per deployment.
    exec python -m celery -A chatbot beat --schedule "${BEAT_SCHEDULE_FILE:-/data/beat/schedule}" \
      --loglevel "${LOG_LEVEL:-INFO}" "$@"
    ;;
  migrate)
    # One-shot before everything else: the schema, then the demo model unless a model exists already.
    python manage.py migrate --noinput
    exec python manage.py ensure_demo_model "$@"
    ;;
  *)
    exec "$role" "$@"
    ;;
esac
