#!/usr/bin/env bash
# Integration test of `liaison sweep --slurm` on a real single-node Slurm cluster on localhost:
# installs Slurm and munge if missing (Debian packages, as root), starts a private cluster
# (scripts/slurm-local.sh), submits a small sharded Sobol sweep as a job array plus the
# dependent merge job, waits, and checks that the merged outputs are byte-identical to the
# same sweep run whole. Every daemon it started is stopped on exit, whatever happens.
#
#   bash tests/slurm/run.sh            (from anywhere; CI calls it from .ci/run)
set -euo pipefail
cd "$(dirname "$0")/../.."
started=$(date +%s)

log() { echo "slurm test: $*" >&2; }

if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null \
    || ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
    [ "$(id -u)" = 0 ] || { log "Slurm is not installed and this is not root: cannot install it"; exit 1; }
    log "installing slurmctld slurmd slurm-client munge"
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        slurmctld slurmd slurm-client munge >/dev/null
fi

# A private cluster: its own folder and ports, so a system Slurm or another test is not touched.
work=$(mktemp -d /tmp/liaison-slurm.XXXXXX)
export SLURM_LOCAL_DIR=$work/cluster
export SLURM_LOCAL_CTLD_PORT=${SLURM_LOCAL_CTLD_PORT:-16817}
export SLURM_LOCAL_SLURMD_PORT=${SLURM_LOCAL_SLURMD_PORT:-16818}
cleanup() {
    bash scripts/slurm-local.sh stop || true
    rm -rf "$work"
}
trap cleanup EXIT
bash scripts/slurm-local.sh start
eval "$(bash scripts/slurm-local.sh env)"

cargo build --release --locked --quiet
bin=$PWD/target/release/liaison
args=(tests/fixtures/explore.toml
      --param event.arrest.magnitude=0..1 --param channels.ct.threat=0..0.6
      --param officers.ru.ct.count=2..10:int
      --design sobol --points 8 --runs 8)

"$bin" sweep "${args[@]}" --quiet --out "$work/whole" >/dev/null
"$bin" sweep "${args[@]}" --out "$work/slurm" --slurm --shards 4 \
    --cpus-per-task 1 --mem 256M --time 00:10:00 >/dev/null
shards=$work/slurm/sweep-explore/shards
array=$(sbatch --parsable "$shards/submit.sbatch" | cut -d';' -f1)
merge=$(sbatch --parsable --dependency="afterok:$array" "$shards/merge.sbatch" | cut -d';' -f1)
log "submitted array $array (4 tasks) and merge $merge"

deadline=$(( $(date +%s) + 300 ))
while [ -n "$(squeue -h -j "$array,$merge" 2>/dev/null)" ]; do
    if [ "$(date +%s)" -gt "$deadline" ]; then
        log "jobs still queued after 300 s:"; squeue -j "$array,$merge" >&2 || true
        exit 1
    fi
    sleep 0.3
done
states=$(squeue -h -t all -j "$array,$merge" -o '%i %T' | sort)
log "final states: $(echo "$states" | tr '\n' ' ')"
if echo "$states" | grep -qv COMPLETED; then
    log "a job did not complete"; cat "$shards"/logs/* >&2 || true
    exit 1
fi

whole=$work/whole/sweep-explore
merged=$work/slurm/sweep-explore
diff <(cd "$whole" && ls) <(cd "$merged" && ls | grep -v '^shards$')
for file in "$whole"/*; do
    cmp "$file" "$merged/$(basename "$file")"
done
log "merged outputs are byte-identical to the whole sweep ($(ls "$whole" | wc -l) files)"
log "passed in $(( $(date +%s) - started )) s"
