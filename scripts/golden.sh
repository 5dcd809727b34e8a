#!/usr/bin/env bash
# Golden check: runs every line of tests/golden/commands.txt with LAUNCHER_ROOT/bin/pullback, line NN
# into OUTDIR/NN/, and writes OUTDIR/digest.txt (one line per command and numeric output; "[l2]"
# lines apart) and OUTDIR/values/NN.json (the numbers, the format of tests/golden/expected/).
#
#   scripts/golden.sh LAUNCHER_ROOT OUTDIR [COMMANDS_FILE]
#
# LAUNCHER_ROOT may be another checkout (an older commit): its launcher runs this checkout's command
# file. Needs python3 (standard library only). See tests/golden/README.md.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ $# -lt 2 ] || [ $# -gt 3 ]; then
  echo "usage: scripts/golden.sh LAUNCHER_ROOT OUTDIR [COMMANDS_FILE]" >&2; exit 2
fi
command -v python3 >/dev/null || { echo "golden: python3 is needed (standard library only)" >&2; exit 2; }
exec python3 "$HERE/golden.py" "$@"
