#!/bin/sh
# compare-builds.sh — how much faster (or slower) a run is at the working tree than at an
# earlier commit, measured so that the machine's own changes of speed cancel out.
#
#   scripts/compare-builds.sh REV [ROUNDS] [RUNS] [SCENARIO]
#
# Builds `examples/profile_runs` at REV (in a temporary git worktree, with its own target
# folder under target/compare-builds) and at the working tree, then runs both at the same
# time, one per core (`taskset`), each round on both cores in turn, ROUNDS rounds (default 20) of
# RUNS runs (default 300) of SCENARIO (default the reference case). Prints each round and the
# median of the ratio working tree / REV: below 1 is faster.
#
# Runs go as ensembles run them (`profile_runs --batch`: four at a time where the build can).
# A revision without `examples/profile_runs.rs` (the first versions, up to 18b2c7a, the one
# issue 9 measured) gets `scripts/profile_runs_first.rs` in its place.
#
# On a shared virtual machine one build can measure 40% apart from one hour to the next, so
# two `cargo bench` results taken minutes apart do not compare two versions; two builds
# running side by side share whatever the machine is doing. Even so, a round's ratio can be
# 10% off either way: for a change of a few percent, count instructions instead
# (`valgrind --tool=callgrind` on both builds of `profile_runs`; see README, Performance).
#
# Needs git, cargo, taskset (util-linux) and two cores.
set -eu

rev=${1:?usage: scripts/compare-builds.sh REV [ROUNDS] [RUNS] [SCENARIO]}
rounds=${2:-20}
runs=${3:-300}
root=$(git rev-parse --show-toplevel)
scenario=${4:-$root/scenarios/us-russia-2011-2017.toml}
work="$root/target/compare-builds"
mkdir -p "$work"

old_tree="$work/tree"
rm -rf "$old_tree"
git -C "$root" worktree prune
git -C "$root" worktree add --detach "$old_tree" "$rev" >/dev/null
trap 'git -C "$root" worktree remove --force "$old_tree" 2>/dev/null || true' EXIT

echo "building profile_runs at $rev and at the working tree ..." >&2
if [ ! -f "$old_tree/examples/profile_runs.rs" ]; then
    mkdir -p "$old_tree/examples"
    cp "$root/scripts/profile_runs_first.rs" "$old_tree/examples/profile_runs.rs"
fi
(cd "$old_tree" && cargo build --quiet --release --example profile_runs --target-dir "$work/target")
(cd "$root" && cargo build --quiet --release --example profile_runs)
old="$work/profile_runs-old"
cp "$work/target/release/examples/profile_runs" "$old"
new="$root/target/release/examples/profile_runs"

# One round: both builds at once, on cores $1 (old) and $2 (new); prints "old_us new_us".
round() {
    taskset -c "$1" "$old" "$scenario" "$runs" --batch >"$work/old.out" &
    taskset -c "$2" "$new" "$scenario" "$runs" --batch >"$work/new.out" &
    wait
    # profile_runs prints e.g. "412.3µs per run" or "1.2ms per run": microseconds here.
    cat "$work/old.out" "$work/new.out" | awk '
        / per run/ {
            v = $1
            if (v ~ /ms$/) { sub(/ms$/, "", v); v *= 1000 } else { sub(/µs$/, "", v) }
            printf "%s ", v
        }
        END { print "" }'
}

# A round runs both halves: old on core 1 and new on core 0, then the other way round. The
# two cores of a shared virtual machine can run at different speeds for minutes at a time, so a
# round's ratio is the geometric mean of its two halves' ratios, in which each core's speed
# cancels out.
i=1
while [ "$i" -le "$rounds" ]; do
    first=$(round 1 0)
    second=$(round 0 1)
    echo "$first $second"
    i=$((i + 1))
done | tee "$work/rounds.txt" |
    awk -v rev="$rev" '{ printf "round %d: %s and %s µs at %s, %s and %s µs now (ratio %.3f)\n",
        NR, $1, $3, rev, $2, $4, sqrt(($2 / $1) * ($4 / $3)) }'

awk '{ print sqrt(($2 / $1) * ($4 / $3)) }' "$work/rounds.txt" | sort -n |
    awk -v rev="$rev" '{ r[NR] = $1 } END { m = (NR % 2) ? r[(NR + 1) / 2] : (r[NR / 2] + r[NR / 2 + 1]) / 2;
        printf "median ratio now / %s: %.3f (from %.3f to %.3f over %d rounds)\n", rev, m, r[1], r[NR], NR }'
