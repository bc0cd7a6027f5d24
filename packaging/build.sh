#!/bin/sh
# Builds a production tree of dialbook into OUT: install, compile TypeScript to dist/, drop the
# development dependencies, prove the result starts, copy what runs. The Dockerfile's build stage
# runs exactly this script (test/ops/packaging.test.ts runs it too), so the image's steps are
# exercised even where no container can be built.
#
#   packaging/build.sh OUT                        # from a clean checkout: npm ci first
#   packaging/build.sh --reuse-node-modules OUT   # node_modules already installed from this lock file
set -eu

reuse=no
if [ "${1:-}" = "--reuse-node-modules" ]; then reuse=yes; shift; fi
out="${1:?usage: packaging/build.sh [--reuse-node-modules] OUT}"
cd "$(dirname "$0")/.."

if [ "$reuse" = no ]; then
  npm ci                     # also compiles dist/ (the prepare script)
fi
npm run build
npm prune --omit=dev

# The pruned tree must start from the compiled code alone (no tsx, no TypeScript).
smoke="$(mktemp -d)"
DIALBOOK_DATA_DIR="$smoke" node bin/dialbook.js config check
rm -rf "$smoke"

mkdir -p "$out"
cp -R package.json package-lock.json bin dist config directory-templates web node_modules "$out"/
mkdir -p "$out/fixtures" && cp fixtures/demo-account.json "$out/fixtures/"
echo "dialbook production tree in $out"
