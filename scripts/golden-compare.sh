#!/usr/bin/env bash
# Bit-for-bit golden comparison of two commits (tests/golden/README.md):
#
#   scripts/golden-compare.sh OLD_COMMIT [NEW_COMMIT]
#
# Checks OLD_COMMIT (and NEW_COMMIT, if given) out into temporary detached worktrees, builds each
# with `mvn package -pl local-runner -am` (never `install`: ~/.m2's SNAPSHOT jars are shared with
# other builds; each launcher runs its own target/ jars, see local-runner/target/classpath.txt),
# runs scripts/golden.sh for both with THIS checkout's golden.sh and tests/golden/commands.txt (the
# new commit's copy when NEW_COMMIT is given and has one), and diffs the two digests. Without
# NEW_COMMIT the new side is this working tree as it is (uncommitted changes included; it is built
# in place with the same package command).
#
# Prints "bit-identical" or the differing digest lines. Exit 0 only if the digests are identical,
# lines marked "# l2" excepted (they change by design and are reported separately); 1 if they
# differ, 2 on bad usage or a failed build.
#
# Environment: GOLDEN_MVN_ARGS (default "-B -o -q": offline, ~/.m2 populated), GOLDEN_WORK (folder
# for worktrees and outputs, default a new mktemp -d; outputs are kept there), GOLDEN_KEEP=1 keeps
# the temporary worktrees too.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: scripts/golden-compare.sh OLD_COMMIT [NEW_COMMIT]" >&2; exit 2
fi
read -r -a MVN_ARGS <<< "${GOLDEN_MVN_ARGS:--B -o -q}"
OLD=$(git -C "$REPO" rev-parse --verify "$1^{commit}") || { echo "golden-compare: no commit $1" >&2; exit 2; }
NEW=""
if [ $# -eq 2 ]; then
  NEW=$(git -C "$REPO" rev-parse --verify "$2^{commit}") || { echo "golden-compare: no commit $2" >&2; exit 2; }
fi
WORK=${GOLDEN_WORK:-$(mktemp -d "${TMPDIR:-/tmp}/golden-compare.XXXXXX")}
mkdir -p "$WORK"
WORKTREES=()
cleanup() {
  if [ "${GOLDEN_KEEP:-0}" != 1 ]; then
    for w in "${WORKTREES[@]}"; do git -C "$REPO" worktree remove --force "$w" >/dev/null 2>&1 || rm -rf "$w"; done
    git -C "$REPO" worktree prune >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT

checkout() {  # checkout COMMIT DIR
  git -C "$REPO" worktree add --detach "$2" "$1" >/dev/null 2>&1 || { echo "golden-compare: cannot check $1 out into $2" >&2; exit 2; }
  WORKTREES+=("$2")
}

build() {  # build ROOT: package (not install) and check the launcher's class path uses ROOT's own jars
  local root=$1 cp="$1/local-runner/target/classpath.txt"
  echo "golden-compare: building $root ($(git -C "$root" rev-parse --short HEAD)) ..." >&2
  (cd "$root" && mvn "${MVN_ARGS[@]}" -DskipTests package -pl local-runner -am) >"$WORK/build-$(basename "$root").log" 2>&1 \
    || { echo "golden-compare: build of $root failed; see $WORK/build-$(basename "$root").log" >&2; exit 2; }
  local jobs
  jobs=$(tr ':' '\n' < "$cp" | grep '/spark-jobs-[^/]*\.jar$' || true)
  if [ -z "$jobs" ] || [ -n "$(echo "$jobs" | grep -v "^$root/spark-jobs/target/" || true)" ]; then
    echo "golden-compare: $cp takes spark-jobs from '$jobs', not from $root/spark-jobs/target" >&2; exit 2
  fi
  if tr ':' '\n' < "$cp" | grep -q '/\.m2/repository/io/pullback/'; then
    echo "golden-compare: $cp refers to Pullback jars in ~/.m2 (shared SNAPSHOTs), not to $root's own" >&2; exit 2
  fi
}

checkout "$OLD" "$WORK/old"
if [ -n "$NEW" ]; then
  checkout "$NEW" "$WORK/new"
  NEW_ROOT="$WORK/new"
  NEW_NAME=$(git -C "$REPO" rev-parse --short "$NEW")
else
  NEW_ROOT="$REPO"
  NEW_NAME="working tree of $REPO ($(git -C "$REPO" rev-parse --short HEAD)$(git -C "$REPO" diff --quiet HEAD 2>/dev/null || echo ", modified"))"
fi
# The new commit's golden.sh and command file, for both sides (this checkout's if it has none).
GOLDEN_PY="$NEW_ROOT/scripts/golden.py"; COMMANDS="$NEW_ROOT/tests/golden/commands.txt"
if [ ! -f "$GOLDEN_PY" ] || [ ! -f "$COMMANDS" ]; then
  echo "golden-compare: $NEW_NAME has no scripts/golden.py or tests/golden/commands.txt; using $REPO's" >&2
  GOLDEN_PY="$HERE/golden.py"; COMMANDS="$REPO/tests/golden/commands.txt"
fi
build "$WORK/old"
build "$NEW_ROOT"

status=0
rm -rf "$WORK/out-old" "$WORK/out-new"
echo "golden-compare: running the golden commands with $(git -C "$REPO" rev-parse --short "$OLD") ..." >&2
python3 "$GOLDEN_PY" "$WORK/old" "$WORK/out-old" "$COMMANDS" || status=1
echo "golden-compare: running the golden commands with $NEW_NAME ..." >&2
python3 "$GOLDEN_PY" "$NEW_ROOT" "$WORK/out-new" "$COMMANDS" || status=1

section() { awk -v s="[$2]" '/^\[/{on = ($0 == s); next} on' "$1"; }
main_diff=$(diff <(section "$WORK/out-old/digest.txt" main) <(section "$WORK/out-new/digest.txt" main) || true)
l2_diff=$(diff <(section "$WORK/out-old/digest.txt" l2) <(section "$WORK/out-new/digest.txt" l2) || true)

echo "old: $(git -C "$REPO" rev-parse --short "$OLD")   new: $NEW_NAME   outputs: $WORK/out-old, $WORK/out-new"
if [ -z "$main_diff" ]; then
  echo "bit-identical ($(section "$WORK/out-new/digest.txt" main | wc -l) digest lines)"
else
  echo "DIFFERENT: digest lines that differ (< old, > new):"
  echo "$main_diff"
  status=1
fi
if [ -z "$l2_diff" ]; then
  echo "l2 lines (not part of the verdict): bit-identical"
else
  echo "l2 lines (not part of the verdict, they change by design): $(echo "$l2_diff" | grep -c '^[<>]') differing digest lines"
  echo "$l2_diff"
fi
exit $status
