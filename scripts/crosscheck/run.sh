#!/usr/bin/env bash
# The cross-check of the data-driven books (docs/data-driven-books.md), start to end; not part of
# `npm test`. Generates a dataset, runs the engine on a throwaway stack, installs the published
# library marketing-attribution-models into a folder of its own and compares.
#   scripts/crosscheck/run.sh [ACCOUNTS] [SEED] [WORKDIR]
set -euo pipefail
ACCOUNTS=${1:-2000}
SEED=${2:-15}
WORK=${3:-/tmp/attribution-crosscheck}
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$WORK"
npm run --silent generate -- --accounts "$ACCOUNTS" --seed "$SEED" --out "$WORK/data"
npx tsx "$HERE/engine.ts" --dataset "$WORK/data" --as-of 2025-01-01 --out "$WORK/engine"
if [ ! -d "$WORK/py" ]; then
  pip install --quiet --target "$WORK/py" marketing-attribution-models || echo "marketing-attribution-models did not install: comparing with the exact Python implementation only"
fi
PYTHONPATH="$WORK/py" python3 "$HERE/crosscheck.py" "$WORK/data" "$WORK/engine" 2025-01-01 | tee "$WORK/crosscheck.json"
