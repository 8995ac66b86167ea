#!/usr/bin/env bash
# The interop tests' ctest fixture (interop_npm_ci): installs the pinned Node packages
# (package.json + package-lock.json) into <build dir>/tests/interop with `npm ci`, never into the
# source tree, and copies the Node CLI next to them (Node resolves require() from the script's
# directory). `npm ci` runs again only when package.json or the lock file changed.
#
# Usage: npm_ci.sh <source dir (tests/interop)> <destination dir>
set -euo pipefail
src=$1
dest=$2

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "interop tests: node and npm (Node.js 20) are not installed; they are a prerequisite" \
       "(see scripts/setup: NodeSource's nodejs package)" >&2
  exit 1
fi
major=$(node -p 'process.versions.node.split(".")[0]')
if (( major < 20 )); then
  echo "interop tests: Node.js $(node --version) is too old; bullmq 6.7.0 is tested with Node 20" >&2
  exit 1
fi

mkdir -p "$dest"
cp "$src/bullmq_cli.js" "$dest/"
stamp=$dest/node_modules/.interop-installed  # the package.json and lock it was installed from
if cat "$src/package.json" "$src/package-lock.json" | cmp -s - "$stamp" 2>/dev/null; then
  echo "interop tests: node_modules is up to date"
  exit 0
fi
cp "$src/package.json" "$src/package-lock.json" "$dest/"
cd "$dest"
# --ignore-scripts: no install scripts needed (msgpackr's native part ships prebuilt).
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
cat package.json package-lock.json >"$stamp"
echo "interop tests: installed $(node -p 'Object.keys(require("./package.json").dependencies).join(", ")')"
