#!/usr/bin/env bash
# The full K-FAC autoencoder comparison of issue 19 (item 4): conf/experiments/kfac-mnist-autoencoder.yaml
# (784-1000-500-250-30-250-500-1000-784, sigmoid units, linear code layer, Bernoulli outputs, N = 2,837,314)
# on the 60,000 MNIST training images, arms kfac, sgd-momentum (best of its learning-rate grid) and adam (best
# of its grid), in local mode; then writes REPORT (default bench/kfac-autoencoder.md): the command, the machine,
# the plots against steps and against wall time (copied next to it, under results/kfac-autoencoder/), and the
# table of the time each arm needs to reach the best SGD arm's final training squared error.
#
#   bench/kfac-autoencoder.sh [--images FILE] [--rows M] [--steps T] [--report FILE] [--out DIR] [--set KEY=VALUE ...]
#
#   --images F   the IDX images file (default: data/mnist/train-images-idx3-ubyte)
#   --rows M     the first M training images only (a check at a small size; default: all of them)
#   --steps T    steps of every arm (default: the experiment file's)
#   --report F   the markdown report to write (default: bench/kfac-autoencoder.md; plots in its folder's
#                results/kfac-autoencoder/)
#   --out DIR    the run folder (default: target/bench/kfac-autoencoder; removed first)
#   --set K=V    passed to `pullback run` (e.g. --set kfac.damping=100)
#
# Needs data/mnist (scripts/fetch-datasets.sh mnist) and python3; the report is written by
# bench/kfac-autoencoder-report.py. At full size it takes about 30 minutes on 2 idle cores (K-FAC about 3.3 s
# a step, SGD and Adam about 0.6 s; bench/kfac-autoencoder.md). Environment: PULLBACK_DRIVER_MEMORY (default 6g).
# Exit 2 for a bad argument, 3 for a missing or malformed images file.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROWS=""
STEPS=""
IMAGES="$ROOT/data/mnist/train-images-idx3-ubyte"
IMAGES_SHOWN=""
REPORT="$ROOT/bench/kfac-autoencoder.md"
OUT="$ROOT/target/bench/kfac-autoencoder"
SETS=()
usage() { sed -n '2,22p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --images) [ $# -ge 2 ] || usage; IMAGES="$2"; IMAGES_SHOWN="$2"; shift 2 ;;
    --rows) [ $# -ge 2 ] || usage; ROWS="$2"; shift 2 ;;
    --steps) [ $# -ge 2 ] || usage; STEPS="$2"; shift 2 ;;
    --report) [ $# -ge 2 ] || usage; REPORT="$2"; shift 2 ;;
    --out) [ $# -ge 2 ] || usage; OUT="$2"; shift 2 ;;
    --set) [ $# -ge 2 ] || usage; SETS+=(--set "$2"); shift 2 ;;
    -h|--help) usage ;;
    *) echo "kfac-autoencoder.sh: unknown argument '$1'" >&2; usage ;;
  esac
done
for n in "$ROWS" "$STEPS"; do
  [[ -z "$n" || "$n" =~ ^[1-9][0-9]*$ ]] || { echo "kfac-autoencoder.sh: --rows and --steps take a positive integer, got '$n'" >&2; exit 2; }
done
[ -s "$IMAGES" ] || { echo "kfac-autoencoder.sh: $IMAGES is missing or empty; run scripts/fetch-datasets.sh mnist" >&2; exit 3; }
command -v python3 >/dev/null || { echo "kfac-autoencoder.sh: python3 is needed to write the report" >&2; exit 2; }
IMAGES=$(realpath "$IMAGES")
# The header: magic 0x803, count, 28, 28 (big-endian); a bad one is a data error naming the file.
COUNT=$(python3 - "$IMAGES" "$ROWS" <<'PY'
import os, struct, sys
path, rows = sys.argv[1], sys.argv[2]
with open(path, "rb") as f:
    head = f.read(16)
if len(head) < 16:
    print(f"kfac-autoencoder.sh: {path}: {len(head)} bytes, shorter than an IDX images header (16)", file=sys.stderr); sys.exit(3)
magic, count, h, w = struct.unpack(">IIII", head)
if magic != 0x803:
    print(f"kfac-autoencoder.sh: {path}: not an IDX images file (magic {magic:#x} at offset 0, expected 0x803)", file=sys.stderr); sys.exit(3)
if (h, w) != (28, 28):
    print(f"kfac-autoencoder.sh: {path}: images of {h} x {w} pixels, the autoencoder takes 28 x 28", file=sys.stderr); sys.exit(3)
need = min(count, int(rows)) if rows else count
size = os.path.getsize(path)
if size < 16 + need * h * w:
    print(f"kfac-autoencoder.sh: {path}: truncated at offset {size}: {need} images need {16 + need * h * w} bytes", file=sys.stderr); sys.exit(3)
print(count)
PY
)
if [ -n "$ROWS" ] && [ "$ROWS" -gt "$COUNT" ]; then
  echo "kfac-autoencoder.sh: --rows $ROWS: $IMAGES has only $COUNT images" >&2; exit 2
fi
COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
REPORT=$(realpath -m "$REPORT")
OUT=$(realpath -m "$OUT")
rm -rf "$OUT"
mkdir -p "$OUT"
cd "$ROOT"

DATA="$IMAGES"
if [ -n "$ROWS" ]; then
  # The first ROWS images: the IDX header with the new count, then ROWS x 784 bytes.
  DATA="$OUT/train-images-first-$ROWS-idx3-ubyte"
  python3 - "$IMAGES" "$DATA" "$ROWS" <<'PY'
import struct, sys
src, dst, rows = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(src, "rb") as f:
    magic, count, h, w = struct.unpack(">IIII", f.read(16))
    body = f.read(rows * h * w)
with open(dst, "wb") as f:
    f.write(struct.pack(">IIII", magic, rows, h, w) + body)
PY
fi

ARGS=(run conf/experiments/kfac-mnist-autoencoder.yaml --out "$OUT/run" --set "data=$DATA")
[ -n "$STEPS" ] && ARGS+=(--set "steps=$STEPS")
ARGS+=("${SETS[@]}")
MEMORY="${PULLBACK_DRIVER_MEMORY:-6g}"
SHOWN="bench/kfac-autoencoder.sh${IMAGES_SHOWN:+ --images $IMAGES_SHOWN}${ROWS:+ --rows $ROWS}${STEPS:+ --steps $STEPS}${SETS[*]:+ ${SETS[*]}}"
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
START=$(date -u +%FT%TZ)
t0=$(date +%s)
bin/pullback --driver-memory "$MEMORY" "${ARGS[@]}"
t1=$(date +%s)
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

python3 "$ROOT/bench/kfac-autoencoder-report.py" "$OUT/run" "$REPORT" "$SHOWN" "bin/pullback --driver-memory $MEMORY ${ARGS[*]}" \
  "$START" "$((t1 - t0))" "$LOAD_START" "$LOAD_END" "$COMMIT" "${ROWS:-$COUNT}" "$COUNT"
