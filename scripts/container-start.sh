#!/bin/sh
# The container's start: migrate the database, seed the demo organisation when
# KB_DEMO=1, then serve the front end built into the image (no build at start).
set -eu
cd /app
.venv/bin/kb-app migrate
if [ "${KB_DEMO:-0}" = 1 ]; then
  .venv/bin/kb-app seed-demo
fi
exec .venv/bin/python scripts/serve_built.py
