# Maestro GitHub App: slim Python base, non-root user, `maestro serve`.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    MAESTRO_HOST=0.0.0.0 \
    MAESTRO_PORT=8000 \
    MAESTRO_DATABASE_URL=sqlite+aiosqlite:////data/maestro.db \
    MAESTRO_DATA_DIR=/data

RUN groupadd --system maestro && useradd --system --gid maestro --home /app maestro \
    && mkdir -p /data && chown maestro:maestro /data

WORKDIR /app
# setup.py builds the optional C accelerator of ledger/hashbatch.py when gcc and OpenSSL's headers
# are present; the slim image has neither, so the same code runs in Python (slower ledger verify).
COPY pyproject.toml setup.py README.md app.yml ./
COPY app ./app
COPY handlers ./handlers
COPY checks ./checks
COPY graph ./graph
COPY ranker ./ranker
COPY ledger ./ledger
COPY econ ./econ
COPY inference ./inference
COPY templates ./templates
# Editable install: the code, templates/ and app.yml are served from /app.
RUN pip install --no-cache-dir -e . && chown -R maestro:maestro /app

USER maestro
VOLUME ["/data"]
EXPOSE 8000
# Probes the port maestro serve listens on (MAESTRO_PORT from the environment or /app/.env).
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request; from app.settings import load_settings; urllib.request.urlopen(f'http://127.0.0.1:{load_settings().port}/healthz', timeout=4)"
CMD ["maestro", "serve"]
