#!/usr/bin/env bash
# A batch cut into shards (--shard I/N), as a cluster engine's array tasks run it:
# - the cut: for every N from 1 to more than the number of clips, the shards'
#   items are disjoint, together the whole job, item k in shard k % N, and
#   the same when asked again;
# - --shard auto/N takes the index from SLURM_ARRAY_TASK_ID (minus
#   SLURM_ARRAY_TASK_MIN, or CLIPLINE_SHARD_BASE), JOB_COMPLETION_INDEX or
#   AWS_BATCH_JOB_ARRAY_INDEX; a missing or out-of-range index is an error;
# - three shards, one of them killed (-9) in the middle of its second item
#   and run again: the rerun builds only what the killed task had not
#   finished; shards write no manifest.json; `clipline publish` merges their
#   parts and leaves the destination with the files, manifest.json and
#   index.html of one whole `clipline run`; after it nothing is rebuilt.
# Usage: test-shards.sh CLIPLINE FIXTURES REPO
set -euo pipefail
clipline=$1 fixtures=$2 repo=$3
work=$(mktemp -d "${TMPDIR:-/tmp}/clipline-shards-XXXXXX")
trap 'kill -9 $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
fail() { echo "shards: FAIL: $*" >&2; exit 1; }
. "$(dirname "$0")/lib.sh"
cd "$work"
export CLIPLINE_CACHE_DIR=$work/cache
cp "$fixtures/cam.mov" cam.mov
mkdir subs
printf '1\n00:00:00,000 --> 00:00:03,500\nAlternatives to detention.\n' > subs/en.srt
python3 - <<'PY'
import json
clips = [{"name": "c%d" % i, "in": i * 0.5, "duration": 0.5} for i in range(7)]
json.dump({"destination": "out", "presets": ["web-360p", "hls"],
           "interviews": [{"id": "cam", "source": "cam.mov", "subtitles": "subs", "clips": clips}]},
          open("job.json", "w"), indent=1)
PY
# a one-rung ladder keeps the test short
presets_with_ladder presets "$repo" web-360p || fail "cannot set the ladder's rungs"
export CLIPLINE_PRESETS=$work/presets

# items a shard plans: "build cam/c3/..." lines, one name per item
items_of() { "$clipline" plan job.json --dest fresh --shard "$1" 2>&1 | sed -n 's|^clipline: build cam/\(c[0-9]*\)/.*|\1|p' | sort -u | tr '\n' ' '; }
for n in 1 2 3 4 5 6 7 8; do
  all=""
  for i in $(seq 0 $((n - 1))); do
    got=$(items_of "$i/$n")
    want=$(for k in $(seq 0 6); do [ $((k % n)) = "$i" ] && printf 'c%d ' "$k"; done; true)
    [ "$got" = "$want" ] || fail "shard $i/$n plans [$got], want [$want]"
    case $n in 3|8) [ "$(items_of "$i/$n")" = "$got" ] || fail "shard $i/$n is not the same when asked again" ;; esac
    all="$all$got"
  done
  [ "$(echo "$all" | tr ' ' '\n' | sed '/^$/d' | sort | tr '\n' ' ')" = "c0 c1 c2 c3 c4 c5 c6 " ] \
    || fail "the shards of $n are not disjoint and complete: [$all]"
done
echo "shards: the cut is disjoint, complete and stable for every N from 1 to 8 (7 clips)"

# the engines' index variables
shard_line() { env -u SLURM_ARRAY_TASK_ID -u SLURM_ARRAY_TASK_MIN -u JOB_COMPLETION_INDEX -u AWS_BATCH_JOB_ARRAY_INDEX \
  -u CLIPLINE_SHARD_BASE "$@" "$clipline" plan job.json --dest fresh --shard auto/3 2>&1 | grep -m1 -E 'shard [0-9]+ of|error' || true; }
[ "$(shard_line SLURM_ARRAY_TASK_ID=5 SLURM_ARRAY_TASK_MIN=3)" = "clipline: shard 2 of 3: 2 of the job's 7 items" ] \
  || fail "SLURM_ARRAY_TASK_ID relative to SLURM_ARRAY_TASK_MIN: $(shard_line SLURM_ARRAY_TASK_ID=5 SLURM_ARRAY_TASK_MIN=3)"
[ "$(shard_line SLURM_ARRAY_TASK_ID=1 SLURM_ARRAY_TASK_MIN=1 CLIPLINE_SHARD_BASE=0)" = "clipline: shard 1 of 3: 2 of the job's 7 items" ] \
  || fail "CLIPLINE_SHARD_BASE does not pin a resubmitted task's index"
[ "$(shard_line JOB_COMPLETION_INDEX=0)" = "clipline: shard 0 of 3: 3 of the job's 7 items" ] || fail "JOB_COMPLETION_INDEX"
[ "$(shard_line AWS_BATCH_JOB_ARRAY_INDEX=1)" = "clipline: shard 1 of 3: 2 of the job's 7 items" ] || fail "AWS_BATCH_JOB_ARRAY_INDEX"
shard_line JOB_COMPLETION_INDEX=3 | grep -q 'JOB_COMPLETION_INDEX=3 gives shard 3, not in 0..2 (Kubernetes Indexed Job)' \
  || fail "an index out of range: $(shard_line JOB_COMPLETION_INDEX=3)"
shard_line | grep -q 'none of SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX, AWS_BATCH_JOB_ARRAY_INDEX is set' \
  || fail "no index variable: $(shard_line)"
shard_line AWS_BATCH_JOB_ARRAY_INDEX=one | grep -q 'AWS_BATCH_JOB_ARRAY_INDEX="one" is not a whole number' \
  || fail "a bad index variable"
set +e
"$clipline" run job.json --shard 3/3 2> bad.log; code=$?
set -e
[ "$code" = 2 ] && grep -q 'the index must be a whole number from 0 to 2' bad.log || { cat bad.log; fail "--shard 3/3: exit $code"; }
echo "shards: SLURM_ARRAY_TASK_ID (with its minimum or CLIPLINE_SHARD_BASE), JOB_COMPLETION_INDEX, AWS_BATCH_JOB_ARRAY_INDEX; errors"

# one whole run, for reference
"$clipline" run job.json --dest whole 2> whole.log || { cat whole.log; fail "the whole run failed"; }

# three shards; shard 1 (c1, c4) killed once c4 has started
"$clipline" run job.json --dest sharded --shard 0/3 2> shard0.log || { cat shard0.log; fail "shard 0 failed"; }
"$clipline" run job.json --dest sharded --shard 1/3 --progress json > events1.ndjson 2> shard1.log &
pid=$!
for _ in $(seq 1 600); do
  grep -q '"event":"item","item":"cam/c4"' events1.ndjson 2>/dev/null && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.02
done
kill -9 "$pid" 2>/dev/null || fail "shard 1 ended before it could be killed"
wait "$pid" 2>/dev/null || true
[ -f sharded/.clipline-parts/cam/c1.json ] || fail "the killed shard left no part for its finished item c1"
[ ! -e sharded/.clipline-parts/cam/c4.json ] || fail "the killed shard has a part for c4, which it did not finish"
"$clipline" run job.json --dest sharded --shard 2/3 2> shard2.log || { cat shard2.log; fail "shard 2 failed"; }
[ ! -e sharded/manifest.json ] && [ ! -e sharded/index.html ] || fail "a shard wrote the destination's manifest.json or index.html"
"$clipline" run job.json --dest sharded --shard 1/3 2> shard1-again.log || { cat shard1-again.log; fail "shard 1 again failed"; }
grep -q '^clipline: build cam/c1/' shard1-again.log && { cat shard1-again.log; fail "the resubmitted shard rebuilt c1, which it had finished"; }
grep -q '^clipline: build cam/c4/' shard1-again.log || { cat shard1-again.log; fail "the resubmitted shard did not build c4"; }
"$clipline" publish job.json --dest sharded 2> publish.log || { cat publish.log; fail "publish failed"; }
grep -q "7 items merged into manifest.json" publish.log || { cat publish.log; fail "publish did not merge 7 items"; }
[ ! -e sharded/.clipline-parts ] || fail "publish left the parts"

# the same destination as one whole run: files, manifest and review page
same_tree whole sharded || fail "the sharded destination is not the whole run's"
echo "shards: 3 shards (one killed and resubmitted) + publish = one whole run, byte for byte ($(cd whole && find . -type f | wc -l) files)"

# nothing to do afterwards, sharded or whole
"$clipline" run job.json --dest sharded --shard 1/3 2> after-shard.log || fail "a shard after publish failed"
grep -q '^clipline: build' after-shard.log && { cat after-shard.log; fail "a shard after publish rebuilt something"; }
"$clipline" run job.json --dest sharded 2> after-whole.log || fail "a whole run after publish failed"
grep -q '0 outputs built, ' after-whole.log || { cat after-whole.log; fail "a whole run after publish rebuilt something"; }
echo "shards: ok"
