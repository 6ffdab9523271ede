#!/usr/bin/env bash
# End-to-end demo on the local stack.
set -euo pipefail
cd "$(dirname "$0")/../.."
echo "demo.sh: the end-to-end demo is not written yet; 'make up' starts the local stack" >&2
exit 1
