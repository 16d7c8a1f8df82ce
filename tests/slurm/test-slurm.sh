#!/usr/bin/env bash
# A real Slurm (Debian's slurm-wlm and munge) started for this test alone by
# scripts/slurm-cluster: own key, socket, ports and state folder, stopped at
# the end, every wait bounded.
# - scripts/slurm-submit JOB 3 runs a 12-clip batch as a 3-task array plus
#   the publish step: the destination then holds exactly the files,
#   manifest.json and index.html of one whole `clipline run`;
# - a second submission to a new destination has task 1 killed (scancel
#   -s KILL) once it has finished its first item; publish merges what there
#   is; `slurm-submit --tasks 1` resubmits it alone: it builds only its
#   unfinished items, the other tasks' outputs are not touched, and the
#   destination is again that of one whole run.
# Usage: test-slurm.sh CLIPLINE FIXTURES REPO
set -euo pipefail
clipline=$1 fixtures=$2 repo=$3
work=$(mktemp -d "${TMPDIR:-/tmp}/clipline-slurm-XXXXXX")
fail() { echo "slurm: FAIL: $*" >&2; for f in "$work"/slurm-logs/*.log; do [ -f "$f" ] && { echo "== $f"; cat "$f"; } >&2; done; exit 1; }
cleanup() { "$repo/scripts/slurm-cluster" stop "$work/cluster" > /dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
cd "$work"
PATH=$PATH:/usr/sbin
eval "$(timeout 60 "$repo/scripts/slurm-cluster" start "$work/cluster")" || fail "the cluster did not start"

. "$repo/tests/cli/lib.sh"
presets_with_ladder presets "$repo" web-360p || fail "cannot set the ladder's rungs"
export CLIPLINE_PRESETS=$work/presets CLIPLINE_CACHE_DIR=$work/cache
cp "$fixtures/cam.mov" cam.mov
mkdir subs
printf '1\n00:00:00,000 --> 00:00:03,900\nAlternatives to detention.\n' > subs/en.srt
python3 - <<'PY'
import json
clips = [{"name": "c%d" % i, "in": round(i / 3, 3), "duration": 0.3} for i in range(12)]
json.dump({"destination": "out", "presets": ["web-360p", "web-480p", "hls"],
           "interviews": [{"id": "cam", "source": "cam.mov", "subtitles": "subs", "clips": clips}]},
          open("job.json", "w"), indent=1)
PY
"$clipline" run job.json --dest whole --threads 1 2> whole.log || { cat whole.log; fail "the whole run failed"; }

# wait_jobs SECONDS ID...: until squeue lists none of them
wait_jobs() {
  local t=$1; shift
  local ids
  ids=$(IFS=,; echo "$*")
  for _ in $(seq 1 $((t * 4))); do
    [ -z "$(squeue -h -j "$ids" 2> /dev/null)" ] && return 0
    sleep 0.25
  done
  fail "jobs $ids did not end within $t s: $(squeue -h -j "$ids")"
}
submit() { "$repo/scripts/slurm-submit" job.json 3 --clipline "$clipline" "$@" 2> submit.log | sed -n 's/^array=\([0-9]*\) publish=\([0-9]*\)$/\1 \2/p'; }

t0=$(date +%s)
read -r array publish < <(submit -- --dest arrayed --threads 1) || fail "sbatch failed: $(cat submit.log)"
[ -n "$publish" ] || fail "slurm-submit printed no job ids: $(cat submit.log)"
wait_jobs 240 "$array" "$publish"
for i in 0 1 2; do
  grep -q "^clipline: shard $i of 3: 4 of the job's 12 items" "slurm-logs/clipline-job-${array}_$i.log" || fail "task $i did not run shard $i"
done
grep -q '12 items merged into manifest.json' "slurm-logs/clipline-job-publish-$publish.log" || fail "publish did not merge the 12 items"
same_tree whole arrayed || fail "the array's destination is not the whole run's"
echo "slurm: 3-task array + publish = one whole run, byte for byte ($(cd whole && find . -type f | wc -l) files, $(( $(date +%s) - t0 )) s)"

# task 1 killed after its first item (c1), then resubmitted alone
read -r array publish < <(submit -- --dest killed --threads 1) || fail "sbatch failed: $(cat submit.log)"
for _ in $(seq 1 1200); do
  [ -f killed/.clipline-parts/cam/c1.json ] && break
  sleep 0.05
done
[ -f killed/.clipline-parts/cam/c1.json ] || fail "task 1 did not finish its first item within 60 s"
scancel -s KILL "${array}_1"
wait_jobs 240 "$array" "$publish"
[ ! -e killed/cam/c10/manifest.json ] || fail "task 1 finished c10 before it was killed; the kill came too late to show anything"
find killed -type f ! -path '*/.clipline-*' -printf '%p %T@\n' | sort > before.txt
grep -v -E '^killed/cam/c(1|4|7|10)/' before.txt | grep -v -E '^killed/(manifest.json|index.html) ' > others-before.txt
read -r array publish < <(submit --tasks 1 -- --dest killed --threads 1) || fail "sbatch failed: $(cat submit.log)"
wait_jobs 240 "$array" "$publish"
log=slurm-logs/clipline-job-${array}_1.log
grep -q '^clipline: build cam/c1/' "$log" && fail "the resubmitted task rebuilt c1, which it had finished"
grep -q '^clipline: build cam/c10/' "$log" || fail "the resubmitted task did not build c10"
grep -E '^clipline: build' "$log" | grep -v -E 'build cam/c(1|4|7|10)/' && fail "the resubmitted task built another task's outputs"
find killed -type f ! -path '*/.clipline-*' -printf '%p %T@\n' | sort | grep -v -E '^killed/cam/c(1|4|7|10)/' \
  | grep -v -E '^killed/(manifest.json|index.html) ' > others-after.txt
diff others-before.txt others-after.txt > others.diff || { cat others.diff; fail "the other tasks' outputs were touched"; }
same_tree whole killed || fail "the resubmitted array's destination is not the whole run's"
echo "slurm: ok (a killed task resubmitted alone built $(grep -c '^clipline: build' "$log") outputs of its own; the others' $(wc -l < others-after.txt) files untouched)"
