# syntax=docker/dockerfile:1
# The platform's image: one image for web (gunicorn), worker and beat (celery).
# Dependencies come from uv.lock (runtime group only); static files are collected at build time and
# served by WhiteNoise, so the container needs no network beyond PostgreSQL and Redis.

ARG PYTHON_IMAGE=python:3.11-slim

# --- build: resolve the locked runtime dependencies into /app/.venv ----------------------------
FROM ${PYTHON_IMAGE} AS build

# Keep in step with UV_VERSION in the Makefile.
ARG UV_VERSION=0.13.9
RUN pip install --no-cache-dir --disable-pip-version-check "uv==${UV_VERSION}"

ENV UV_PYTHON=/usr/local/bin/python3.11 \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    UV_LINK_MODE=copy \
    UV_COMPILE_BYTECODE=1

WORKDIR /app
COPY pyproject.toml uv.lock ./
# --frozen: install exactly the lock, fail rather than re-resolve. --no-dev: no pytest, playwright, ruff.
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-project

# --- runtime -------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PATH="/app/.venv/bin:${PATH}" \
    DJANGO_SETTINGS_MODULE=config.settings \
    DJANGO_DEBUG=0 \
    MEDIA_ROOT=/data/media

# An unprivileged user with a writable home (gunicorn keeps its control socket there). The media
# directory is created here so a named volume mounted on it starts out owned by this user.
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --create-home --home-dir /home/app \
        --shell /usr/sbin/nologin app \
    && mkdir -p /data/media \
    && chown app:app /data/media

WORKDIR /app
COPY --from=build /app/.venv /app/.venv
COPY . .

# Settings refuse to start with DEBUG off and no secret key; this throwaway key exists only for this
# step and is not kept in the image's environment. With DEBUG off the storage is WhiteNoise's
# compressed manifest storage, so the manifest and the .gz files are built here.
RUN DJANGO_SECRET_KEY=build-time-only-collectstatic-not-a-secret \
    python manage.py collectstatic --noinput \
    && python -m compileall -q -j 0 -x '(^|/)\.venv/' /app

USER app
EXPOSE 8000

# The web process. docker-compose.yml runs migrations first, and overrides the command for the
# worker (celery -A config worker) and beat (celery -A config beat). Workers: $WEB_CONCURRENCY.
CMD ["gunicorn", "config.wsgi:application", \
     "--bind", "0.0.0.0:8000", \
     "--access-logfile", "-", \
     "--worker-tmp-dir", "/dev/shm"]
