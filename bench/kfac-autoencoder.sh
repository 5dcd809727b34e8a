#!/usr/bin/env bash
# The full K-FAC autoencoder comparison of issue 19 (item 4): conf/experiments/kfac-mnist-autoencoder.yaml
# (784-1000-500-250-30-250-500-1000-784, sigmoid units, linear code layer, Bernoulli outputs, N = 2,837,314)
# on the 60,000 MNIST training images, arms kfac, sgd-momentum (best of its learning-rate grid) and adam (best
# of its grid), in local mode; then writes REPORT (default bench/kfac-autoencoder.md): the command, the machine,
# the plots against steps and against wall time (copied next to it, under results/kfac-autoencoder/), and the
# table of the time each arm needs to reach the best SGD arm's final training squared error.
#
#   bench/kfac-autoencoder.sh [--rows M] [--steps T] [--report FILE] [--out DIR] [--set KEY=VALUE ...]
#
#   --rows M     the first M training images only (a check at a small size; default: all 60,000)
#   --steps T    steps of every arm (default: the experiment file's)
#   --report F   the markdown report to write (default: bench/kfac-autoencoder.md; plots in its folder's
#                results/kfac-autoencoder/)
#   --out DIR    the run folder (default: target/bench/kfac-autoencoder; removed first)
#   --set K=V    passed to `pullback run` (e.g. --set kfac.damping=100)
#
# Needs data/mnist (scripts/fetch-datasets.sh mnist) and python3. At full size it takes about an hour on
# 2 cores (K-FAC about 6-10 s a step, SGD and Adam about 1 s; see bench/REPORT.md, section (h)). Environment:
# PULLBACK_DRIVER_MEMORY (default 6g).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROWS=""
STEPS=""
REPORT="$ROOT/bench/kfac-autoencoder.md"
OUT="$ROOT/target/bench/kfac-autoencoder"
SETS=()
usage() { sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
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
IMAGES="$ROOT/data/mnist/train-images-idx3-ubyte"
[ -s "$IMAGES" ] || { echo "kfac-autoencoder.sh: $IMAGES is missing; run scripts/fetch-datasets.sh mnist" >&2; exit 3; }
command -v python3 >/dev/null || { echo "kfac-autoencoder.sh: python3 is needed to write the report" >&2; exit 2; }
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
    if magic != 0x803: sys.exit(f"{src}: not an IDX images file (magic {magic:#x})")
    if rows > count: sys.exit(f"--rows {rows}: {src} has only {count} images")
    body = f.read(rows * h * w)
with open(dst, "wb") as f:
    f.write(struct.pack(">IIII", magic, rows, h, w) + body)
PY
fi

ARGS=(run conf/experiments/kfac-mnist-autoencoder.yaml --out "$OUT/run" --set "data=$DATA")
[ -n "$STEPS" ] && ARGS+=(--set "steps=$STEPS")
ARGS+=("${SETS[@]}")
MEMORY="${PULLBACK_DRIVER_MEMORY:-6g}"
SHOWN="bench/kfac-autoencoder.sh${ROWS:+ --rows $ROWS}${STEPS:+ --steps $STEPS}${SETS[*]:+ ${SETS[*]}}"
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
START=$(date -u +%FT%TZ)
t0=$(date +%s)
bin/pullback --driver-memory "$MEMORY" "${ARGS[@]}"
t1=$(date +%s)
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

python3 - "$OUT/run" "$REPORT" "$SHOWN" "bin/pullback --driver-memory $MEMORY ${ARGS[*]}" "$START" "$((t1 - t0))" \
  "$LOAD_START" "$LOAD_END" "$(git rev-parse --short HEAD)" "${ROWS:-60000}" <<'PY'
import json, os, platform, shutil, sys
run, report, shown, command, start, wall, load0, load1, commit, rows = sys.argv[1:11]
r = json.load(open(os.path.join(run, "results.json")))
plots = os.path.join(os.path.dirname(report), "results", "kfac-autoencoder")
os.makedirs(plots, exist_ok=True)
rel = os.path.relpath(plots, os.path.dirname(report))
names = ["squared_error_vs_step.png", "squared_error_vs_time.png", "loss_vs_step.png", "loss_vs_time.png"]
for n in names:
    shutil.copyfile(os.path.join(run, n), os.path.join(plots, n))
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.machine())
mem = open("/proc/meminfo").readline().split(":", 1)[1].strip()
arms = {a["name"]: a for a in r["arms"]}
ttt = r["time_to_target"]
groups = r.get("groups", {})
best = {g: v["best"] for g, v in groups.items()}
best["kfac"] = "kfac"
row = {a["name"]: a for a in ttt["arms"]}
size = "all 60,000" if rows == "60000" else f"the first {int(rows):,}"
L = ["# K-FAC against SGD-momentum and Adam: the MNIST deep autoencoder", "",
     f"Produced by `{shown}` (git commit `{commit}`), which ran", "", "```", command, "```", "",
     f"from the repository root, started {start}, {int(wall)} s wall time in all (data loading and each arm's final loss on all"
     f" the images included). Machine: {cpu}, {os.cpu_count()} cores, {mem}, {platform.system()} {platform.release()};"
     f" load average (1, 5, 15 min) {load0} at the start and {load1} at the end; local mode.", "",
     f"Model: {r['description'].strip()}", "",
     f"Data: {size} MNIST training images (pixels scaled to [0, 1]). Every arm ran {arms['kfac']['steps']} steps.", "",
     "## Time to the SGD baseline's final error", "",
     f"Target: the final training squared reconstruction error of `{ttt['target_arm']}` (the best arm of the"
     f" `{ttt['target']}` grid), {ttt['target_error']:.6g} ({ttt['measure']}: summed over the 784 pixels, averaged over"
     " the step's mini-batch, at the start of each step). Seconds are the wall time at the start of the first step whose"
     " error is at or below the target (each step's whole cost included).", "",
     "| arm | role | final squared error | final loss (all images) | reached at step | seconds to target | time / SGD's | train seconds |",
     "|---|---|---|---|---|---|---|---|"]
roles = {v: k for k, v in best.items()}
for a in r["arms"]:
    t = row[a["name"]]
    role = f"best of {roles[a['name']]}" if a["name"] in roles and a["name"] != "kfac" else ("kfac" if a["name"] == "kfac" else "grid")
    fmt = lambda x, f: "—" if x is None else format(x, f)
    L.append(f"| {a['name']} | {role} | {t['final_error']:.6g} | {a['final_loss']:.6g} | {t['step'] if t['step'] is not None else 'never'}"
             f" | {fmt(t['seconds'], '.1f')} | {fmt(t['time_over_target'], '.3f')} | {a['train_seconds']:.1f} |")
k, s = row["kfac"], row[ttt["target_arm"]]
adam = row.get(best.get("adam", ""), None)
L.append("")
verdict = []
if k["seconds"] is None:
    verdict.append("K-FAC did **not** reach SGD's final error within its steps.")
else:
    ratio = k["seconds"] / s["seconds"] if s["seconds"] else float("nan")
    verdict.append(f"K-FAC reached SGD's final error in {ratio:.3f} of SGD's wall time ({k['seconds']:.1f} s against {s['seconds']:.1f} s;"
                   f" target at most 1/3: {'met' if ratio <= 1 / 3 else 'missed by a factor ' + format(ratio * 3, '.2f')}).")
    if adam is not None:
        if adam["seconds"] is None:
            verdict.append(f"Adam's best arm ({best['adam']}) never reached it: K-FAC is ahead of Adam.")
        else:
            verdict.append(f"Adam's best arm ({best['adam']}) reached it at {adam['seconds']:.1f} s: K-FAC is"
                           f" {'ahead of' if k['seconds'] < adam['seconds'] else 'behind'} Adam (K-FAC / Adam {k['seconds'] / adam['seconds']:.3f}).")
L += [" ".join(verdict), ""]
caption = {"squared_error_vs_step.png": "Training squared reconstruction error per step.",
           "squared_error_vs_time.png": "The same error against wall time.",
           "loss_vs_step.png": "Training loss (binary cross-entropy, summed over the pixels) per step; the last point is the final loss on all the images.",
           "loss_vs_time.png": "The same loss against wall time."}
L += ["## Plots", ""]
for n in names:
    L += [f"![{n}]({rel}/{n})", "", f"*{caption[n]}*", ""]
L += [f"Every number is in the run's `results.json` and each arm's `history.jsonl` ({run}).", ""]
open(report, "w").write("\n".join(L))
print("wrote", report)
PY
