#!/usr/bin/env bash
# The ctest fixture of the tests that run Node (interop_npm_ci, browser_npm_ci): installs the
# pinned Node packages (package.json + package-lock.json of <source dir>) into <destination dir>
# with `npm ci`, never into the source tree, and copies the test's own scripts next to them
# (Node resolves require() from the script's directory). `npm ci` runs again only when
# package.json or the lock file changed.
#
# Usage: npm_ci.sh <what (for messages)> <source dir> <destination dir> [script to copy...]
set -euo pipefail
what=$1
src=$2
dest=$3
shift 3

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "$what: node and npm (Node.js 20) are not installed; they are a prerequisite" \
       "(see scripts/setup: NodeSource's nodejs package)" >&2
  exit 1
fi
major=$(node -p 'process.versions.node.split(".")[0]')
if (( major < 20 )); then
  echo "$what: Node.js $(node --version) is too old; the pinned packages are tested with Node 20" >&2
  exit 1
fi

mkdir -p "$dest"
for script in "$@"; do
  cp "$src/$script" "$dest/"
done
stamp=$dest/node_modules/.npm-ci-installed  # the package.json and lock it was installed from
if cat "$src/package.json" "$src/package-lock.json" | cmp -s - "$stamp" 2>/dev/null; then
  echo "$what: node_modules is up to date"
  exit 0
fi
cp "$src/package.json" "$src/package-lock.json" "$dest/"
cd "$dest"
# --ignore-scripts: no install scripts needed (msgpackr's native part ships prebuilt; playwright-core
# downloads no browser: the tests use Debian's chromium).
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
cat package.json package-lock.json >"$stamp"
echo "$what: installed $(node -p 'Object.keys(require("./package.json").dependencies).join(", ")')"
