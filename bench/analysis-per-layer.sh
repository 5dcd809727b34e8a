#!/usr/bin/env bash
# Per-layer spectra (issue 17, item 6): each layer block's top eigenvalues and trace of the implicit
# metric, by block Lanczos on the block's products, for the quickstart MLP (2 → 16 → 1, N = 65) and
# for the 1,002,801-parameter MLP of bench/analysis-1m.sh (2 GB driver). Writes bench/analysis-per-layer.md.
#
#   bench/analysis-per-layer.sh [OUT_DIR]     (default: target/bench/analysis-per-layer; removed first)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT="${1:-$ROOT/target/bench/analysis-per-layer}"
rm -rf "$OUT"
mkdir -p "$OUT"
cd "$ROOT"
QUICK=(spectrum --data 'synthetic:uniform?rows=4000&features=2&seed=1&noise=0' --model mlp --hidden 16
  --representation implicit --dense-limit 1 --top 5 --per-layer)
BIG=(--driver-memory 2g spectrum --data 'synthetic:teacher?rows=512&features=100&seed=1' --model mlp --hidden 1000,900 --outputs 1
  --representation implicit --partitions 2 --block-rows 64 --seed 7 --top 10 --per-layer --lanczos-steps 150 --residual-tol 1e-4)
: > "$OUT/times.tsv"
for name in quick big; do
  if [ "$name" = quick ]; then args=("${QUICK[@]}"); else args=("${BIG[@]}"); fi
  start=$(date +%s.%N)
  bin/pullback "${args[@]}" --out "$OUT/$name"
  end=$(date +%s.%N)
  printf '%s\t%s\t%s\n' "$name" "$(echo "$end - $start" | bc)" "bin/pullback ${args[*]} --out target/bench/analysis-per-layer/$name" >> "$OUT/times.tsv"
done
python3 - "$OUT" "$ROOT/bench/analysis-per-layer.md" "$(git rev-parse --short HEAD)" <<'PY'
import json, sys, os, platform
out, report, commit = sys.argv[1:4]
rows = [l.rstrip("\n").split("\t") for l in open(os.path.join(out, "times.tsv"))]
lines = ["# Per-layer spectra of the implicit metric", "",
         f"Commit `{commit}`; machine: {os.cpu_count()} cores, {platform.platform()}; local mode. "
         "`bench/analysis-per-layer.sh` ran these commands from the repository root and wrote this file:", "", "```"]
lines += [r[2] for r in rows] + ["```", ""]
titles = {"quick": "Quickstart MLP (2 → 16 → 1, tanh; N = 65; 4,000 examples)",
          "big": "MLP 100 → 1000 → 900 → 1 (tanh; N = 1,002,801; 512 teacher examples; 2 GB driver)"}
for r in rows:
    name, wall = r[0], float(r[1])
    spec = json.load(open(os.path.join(out, name, "spectrum.json")))
    layers = json.load(open(os.path.join(out, name, "layers.json")))["layers"]
    lines += [f"## {titles[name]}", "",
              f"Whole metric: trace {spec['trace']:.6g}, top eigenvalue {spec['top'][0]:.6g}; wall time of the command {wall:.0f} s "
              f"(JVM and Spark start included).", "",
              "| layer block | parameters | trace | share of the trace | top eigenvalues | products G·v | converged | largest residual / θ₁ |",
              "|---|---|---|---|---|---|---|---|"]
    for l in layers:
        top = ", ".join(f"{t:.4g}" for t in l["top"])
        worst = max(l["residuals"]) / l["top"][0] if l["top"][0] > 0 else float("nan")
        lines.append(f"| {l['layer']} (θ {l['start']}…{l['start'] + l['size'] - 1}) | {l['size']:,} | {l['trace']:.6g} "
                     f"| {100 * l['trace'] / spec['trace']:.1f} % | {top} | {l['passes']} | {l['converged']} | {worst:.1e} |")
    lines.append("")
lines += ["Each layer block's spectrum is that of the diagonal block G_ll of the metric (the layer's weights and biases),",
          "computed from products with that block alone; the block traces add up to the whole trace. Wall times are",
          "indications (2 shared cores); the product counts are exact.", ""]
open(report, "w").write("\n".join(lines))
print("wrote", report)
PY
