#!/usr/bin/env bash
# Vendor MapLibre GL JS (CSP build, worker, css, licence) from the npm registry into
# assets/vendor/maplibre-gl/. Usage: scripts/vendor-maplibre.sh 4.7.1
set -euo pipefail
version="${1:?usage: $0 VERSION}"
dest="$(cd "$(dirname "$0")/.." && pwd)/assets/vendor/maplibre-gl"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack "maplibre-gl@${version}" >/dev/null
integrity="$(npm view "maplibre-gl@${version}" dist.integrity)"
tar xzf "maplibre-gl-${version}.tgz"
mkdir -p "$dest"
cp package/dist/{maplibre-gl-csp.js,maplibre-gl-csp-worker.js,maplibre-gl.css,LICENSE.txt} "$dest/"
cat > "$dest/VERSION" <<TXT
maplibre-gl ${version} (BSD-3-Clause, LICENSE.txt), from the npm registry:
  npm pack maplibre-gl@${version}
  tarball ${integrity}
Files copied unchanged from package/dist/: maplibre-gl-csp.js, maplibre-gl-csp-worker.js,
maplibre-gl.css, LICENSE.txt. Upgrade: scripts/vendor-maplibre.sh VERSION.
TXT
echo "vendored maplibre-gl ${version} into ${dest}"
