# Narrative in production: HTTP mode behind a TLS proxy (see README.md, "Run in production").
# No image registry is reachable from the machines this was written on, so it has not been
# built there; build it where Docker Hub (or a mirror of python:3.12-slim) is reachable.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY storage ./storage
RUN pip install ".[postgresql]"

# Runs as an unprivileged user; /data holds a SQLite file when DATABASE_URL is not PostgreSQL.
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin narrative \
    && mkdir /data && chown narrative /data
USER narrative
WORKDIR /data

ENV PORT=3000 \
    DATABASE_URL=sqlite:////data/narrative.db
EXPOSE 3000

# /healthz answers 200 while the database answers (503 otherwise).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('PORT', '3000') + '/healthz', timeout=4)"]

# HTTP mode whatever .env holds (a SLACK_APP_TOKEN would otherwise choose Socket Mode, which
# serves no /healthz). Migrations run at start; SIGTERM stops it cleanly.
CMD ["narrative-bot", "run", "--http"]
