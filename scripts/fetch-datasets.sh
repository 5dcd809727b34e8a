#!/usr/bin/env bash
# Fetches the real datasets the experiments use from a Debian package (no internet download at run
# time): python3-sklearn ships them (BSD-3). Writes CSV files with a header into data/:
#   data/breast-cancer.csv  569 x 10 (the ten "mean" features of the Wisconsin breast-cancer data), label 0/1
#   data/digits.csv         1797 x 64 (8x8 handwritten digits, pixel values 0..16), label 0..9
# Needs apt-get (root, or sudo); safe to re-run.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT="$ROOT/data"
mkdir -p "$OUT"
if [ -s "$OUT/breast-cancer.csv" ] && [ -s "$OUT/digits.csv" ]; then
  echo "datasets already in $OUT"; exit 0
fi
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq >/dev/null 2>&1 || true
apt-get download python3-sklearn >/dev/null
dpkg -x python3-sklearn_*.deb pkg
DATA=$(dirname "$(find pkg -name breast_cancer.csv | head -n 1)")
{
  echo "mean_radius,mean_texture,mean_perimeter,mean_area,mean_smoothness,mean_compactness,mean_concavity,mean_concave_points,mean_symmetry,mean_fractal_dimension,label"
  tail -n +2 "$DATA/breast_cancer.csv" | awk -F, 'BEGIN{OFS=","} {print $1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$31}'
} > "$OUT/breast-cancer.csv.tmp" && mv "$OUT/breast-cancer.csv.tmp" "$OUT/breast-cancer.csv"
{
  printf 'p%d,' $(seq 0 63); echo "label"
  zcat "$DATA/digits.csv.gz"
} > "$OUT/digits.csv.tmp" && mv "$OUT/digits.csv.tmp" "$OUT/digits.csv"
echo "wrote $OUT/breast-cancer.csv ($(($(wc -l < "$OUT/breast-cancer.csv") - 1)) rows) and $OUT/digits.csv ($(($(wc -l < "$OUT/digits.csv") - 1)) rows)"
