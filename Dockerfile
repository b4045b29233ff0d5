# Värna in one container: the app on one port, data (SQLite database, secret key) in /app/data.
# Build:  docker build -t varna .
# Run:    docker run -p 3000:3000 -v varna-data:/app/data -e KB_PUBLIC_URL=https://kb.example.se varna
FROM python:3.11-slim-bookworm

ENV DEBIAN_FRONTEND=noninteractive \
    PYTHONUNBUFFERED=1 \
    KB_DATA_DIR=/app/data \
    KB_PORT=3000
RUN apt-get update \
 && apt-get install -y --no-install-recommends make nodejs npm unzip ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY . .
# The same install steps that `make run` and CI use: uv, `uv sync --frozen`, bun from npm.
RUN make .venv/bin/kb-app .tools/node_modules/.bin/bun

VOLUME ["/app/data"]
EXPOSE 3000
# Migrate the database, optionally seed demo data (KB_DEMO=1), then serve on one port.
CMD ["sh", "-c", "make setup && if [ \"$KB_DEMO\" = 1 ]; then .venv/bin/kb-app seed-demo; fi && exec make serve"]
