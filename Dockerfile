# Värna in one container: the app on one port, data (SQLite database, secret key,
# attachments) in the volume /app/data. Python, Node.js and npm come from Debian's
# packages; the web front end is built here, once, not at every start.
#
# Build:  podman build --format docker -t varna .      (or docker build -t varna .)
# Run:    podman run -p 3000:3000 -v varna-data:/app/data \
#           -e KB_PUBLIC_URL=https://kb.example.se varna
# `make container-test` builds it on a local debootstrap base and checks it.
ARG BASE_IMAGE=debian:bookworm-slim
FROM ${BASE_IMAGE}

ENV DEBIAN_FRONTEND=noninteractive \
    LANG=C.UTF-8 \
    PYTHONUNBUFFERED=1 \
    UV_PYTHON_DOWNLOADS=never \
    UV_LINK_MODE=copy \
    KB_DATA_DIR=/app/data \
    KB_PORT=3000
# postgresql-client: pg_dump/pg_restore for `kb-app backup` and `restore` on PostgreSQL.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      python3 python3-venv nodejs npm make unzip ca-certificates tzdata postgresql-client \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /app --shell /usr/sbin/nologin varna \
 && mkdir -p /app/data \
 && chown -R varna:varna /app \
 && chmod 0700 /app/data

WORKDIR /app
USER varna
ENV PATH=/app/.tools/node_modules/.bin:/app/.venv/bin:$PATH \
    REFLEX_USE_SYSTEM_BUN=1 \
    REFLEX_CHECK_LATEST_VERSION=false \
    REFLEX_TELEMETRY_ENABLED=false \
    UV_PROJECT_ENVIRONMENT=/app/.venv

# A CA bundle for the build's downloads only (a TLS-inspecting proxy's; `make
# container-test` mounts the host's): used by the RUN steps, never kept in the image.
ARG BUILD_CA_FILE=""
# The locked dependencies first (a layer kept while only the code changes): uv and
# bun through the Makefile's own install steps, then `uv sync --frozen` without the app.
COPY --chown=varna:varna Makefile pyproject.toml uv.lock ./
RUN if [ -n "$BUILD_CA_FILE" ]; then export SSL_CERT_FILE="$BUILD_CA_FILE" \
      PIP_CERT="$BUILD_CA_FILE" NODE_EXTRA_CA_CERTS="$BUILD_CA_FILE" \
      npm_config_cafile="$BUILD_CA_FILE"; fi \
 && make /app/.tools/uv/bin/uv /app/.tools/node_modules/.bin/bun \
 && .tools/uv/bin/uv sync --frozen --no-install-project --no-dev

COPY --chown=varna:varna . .
# The app itself, then the production front end (.web/build/client). The build
# imports the settings, which would create a secret key: keep that out of the image.
RUN if [ -n "$BUILD_CA_FILE" ]; then export SSL_CERT_FILE="$BUILD_CA_FILE" \
      NODE_EXTRA_CA_CERTS="$BUILD_CA_FILE"; fi \
 && .tools/uv/bin/uv sync --frozen --no-dev \
 && KB_DATA_DIR=/tmp/kb-build KB_SECRET_KEY=build-only make build-frontend \
 && rm -rf /tmp/kb-build /app/.cache /app/data/* \
 && chmod +x scripts/container-start.sh

VOLUME ["/app/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
  CMD ["python3", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/_health' % os.environ.get('KB_PORT', '3000'), timeout=4)"]
# Migrate, optionally seed the demo (KB_DEMO=1), then serve the built front end.
CMD ["scripts/container-start.sh"]
