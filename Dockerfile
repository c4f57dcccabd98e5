# syntax=docker/dockerfile:1
# The searchsvc image: gunicorn + aiohttp's uvloop worker, as an unprivileged user.
#   docker build -t searchsvc .
#   docker run --env-file .env -p 8080:8080 searchsvc                 (serve)
#   docker run --env-file .env searchsvc searchsvc migrate            (apply migrations)
# No secret is baked in: DATABASE_URL and friends come from the environment at run time.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# ---- build: a virtualenv holding the dependencies, then the package itself --------------------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:$PATH
RUN python -m venv /opt/venv
WORKDIR /src
# Dependencies from the package metadata (setup.cfg) first, in their own layer: a code change
# does not reinstall them. An empty package stands in for the code while they install.
COPY pyproject.toml setup.cfg README.md ./
RUN mkdir searchsvc && touch searchsvc/__init__.py \
    && pip install . \
    && pip uninstall --yes searchsvc \
    && rm -rf searchsvc build ./*.egg-info
COPY searchsvc/ searchsvc/
RUN pip install --no-deps . && python -m compileall -q /opt/venv/lib

# ---- runtime: the virtualenv, the migrations and the gunicorn configuration ------------------
FROM ${PYTHON_IMAGE} AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    XDG_RUNTIME_DIR=/tmp \
    MIGRATIONS_DIR=/app/migrations \
    PROMETHEUS_MULTIPROC_DIR=/tmp/searchsvc-metrics
RUN groupadd --system --gid 10001 searchsvc \
    && useradd --system --uid 10001 --gid searchsvc --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin searchsvc \
    && mkdir -p /tmp/searchsvc-metrics \
    && chown searchsvc:searchsvc /tmp/searchsvc-metrics
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY migrations/ /app/migrations/
COPY ops/gunicorn.conf.py /app/ops/gunicorn.conf.py
USER 10001:10001
EXPOSE 8080
# Liveness only: /healthz never touches the database (readiness is /readyz, for the proxy/orchestrator).
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=2)"]
# Listens on BIND (default 0.0.0.0:8080); workers: WEB_CONCURRENCY, else one per CPU (ops/gunicorn.conf.py).
CMD ["gunicorn", "--config", "/app/ops/gunicorn.conf.py", "searchsvc.app:create_app"]
