#!/usr/bin/env bash
# What the browser tests need: Debian's chromium (and its driver) and a font.
# As root it installs what is missing; otherwise it stops at once with the command to run.
set -euo pipefail
need=()
[ -x "${KB_CHROMIUM:-/usr/bin/chromium}" ] || need+=(chromium)
[ -x /usr/bin/chromedriver ] || need+=(chromium-driver)
fc-list 2>/dev/null | grep -qi dejavu || need+=(fonts-dejavu-core)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "Webbläsartesterna behöver: ${need[*]}. Kör först:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y ${need[*]}" >&2
  exit 1
fi
echo "==> apt-get install ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${need[@]}" >/dev/null
