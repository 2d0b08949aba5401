#!/usr/bin/env bash
# Installs the Debian packages Chipao needs when they are missing: PostGIS for the
# local store, redis-server for the shared cache and jobs (CHIPAO_REDIS=local) and,
# with --browser, Chromium + ChromeDriver for the page tests.
# As root it uses apt-get; otherwise it prints the exact command to run.
set -euo pipefail
pkgs=()
[ -f /usr/share/postgresql/15/extension/postgis.control ] || pkgs+=(postgresql-15-postgis-3)
command -v psql >/dev/null || pkgs+=(postgresql-client-15)
# the shared cache and job broker (CHIPAO_REDIS=local, and the scale tests)
[ -x /usr/bin/redis-server ] || pkgs+=(redis-server)
# WeasyPrint (the PDF brief) lays text out with Pango/HarfBuzz; Debian's pango pulls in
# libthai for Thai line breaking. poppler-utils: the brief tests read PDFs back.
ldconfig -p 2>/dev/null | grep -q 'libpango-1.0.so.0' || pkgs+=(libpango-1.0-0)
ldconfig -p 2>/dev/null | grep -q 'libpangoft2-1.0.so.0' || pkgs+=(libpangoft2-1.0-0)
ldconfig -p 2>/dev/null | grep -q 'libthai.so.0' || pkgs+=(libthai0)
command -v pdftotext >/dev/null || pkgs+=(poppler-utils)
if [ "${1:-}" = "--browser" ]; then
  [ -x /usr/bin/chromium ] || pkgs+=(chromium)
  [ -x /usr/bin/chromedriver ] || pkgs+=(chromium-driver)
fi
[ ${#pkgs[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "Missing system packages. Install them with:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y ${pkgs[*]}" >&2
  exit 1
fi
echo "Installing ${pkgs[*]} with apt-get …" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${pkgs[@]}" >/dev/null
