#!/usr/bin/env bash
# clipline watch, as translators use it: the job is built once; a French file
# copied into the drop folder in two halves (still changing) is taken only
# once it has stopped changing; then the French sidecar and its report are
# written and the clean MP4 is re-muxed, nothing re-encoded; a fixed typo in
# it rebuilds the French outputs only; Ctrl-C ends the watch with exit 0.
# Every wait is bounded.
# Usage: test-watch.sh CLIPLINE FIXTURES REPO
set -euo pipefail
clipline=$1 fixtures=$2 repo=$3
work=$(mktemp -d "${TMPDIR:-/tmp}/clipline-watch-XXXXXX")
pid=
trap '[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null; rm -rf "$work"' EXIT
fail() { echo "watch: FAIL: $*" >&2; cat "$work/watch.log" >&2 2>/dev/null || true; exit 1; }
cd "$work"
export CLIPLINE_PRESETS=$repo/presets
mkdir subs
printf '1\n00:00:00,500 --> 00:00:01,500\nAlternatives to detention.\n' > subs/en.srt
cat > job.json <<JOB
{ "destination": "out", "presets": ["web-360p"],
  "interviews": [ { "id": "cam", "source": "$fixtures/cam.mov", "subtitles": "subs",
    "clips": [ { "name": "c", "in": 0, "out": 2 } ] } ] }
JOB
# wait_for SECONDS WHAT COMMAND...: until COMMAND succeeds
wait_for() {
  local s=$1 what=$2; shift 2
  for _ in $(seq $((s * 10))); do "$@" 2>/dev/null && return 0; kill -0 "$pid" 2>/dev/null || fail "the watch ended while waiting for $what"; sleep 0.1; done
  fail "no $what within $s s"
}
"$clipline" watch job.json 2> watch.log &
pid=$!
wait_for 60 "first run" grep -q 'watch: waiting for changes' watch.log
[ -s out/cam/c/c.web-360p.mp4 ] && [ -s out/cam/c/c.en.vtt ] || fail "the first run did not build the clip"

# a file arriving in two halves: not taken before it has stopped changing
printf '1\n00:00:00,500 --> 00:00:01,500\n' > subs/fr.srt
sleep 1
printf 'Des alternatives à la rétention.\n' >> subs/fr.srt
wait_for 30 "French sidecar" test -s out/cam/c/c.fr.vtt
wait_for 10 "summary of run 2" grep -q 'watch: run 2:' watch.log
grep -q "watch: .*subs/fr.srt: new" watch.log || fail "the new file is not named"
grep -q 'Des alternatives à la rétention.' out/cam/c/c.fr.vtt || fail "the sidecar is not the whole file"
[ -s subs/fr.srt.report.txt ] || fail "no translator's report beside fr.srt"
grep -q 'build cam/c/c.web-360p.mp4 (new subtitle fr; re-muxed, picture and sound copied)' watch.log \
  || fail "the clean MP4 was not re-muxed"
grep -q 'watch: run 2: 1 item, 0 failed; 2 outputs built' watch.log || fail "run 2 built other than the sidecar and the MP4"
[ "$(grep -c 'watch: run' watch.log)" = 2 ] || fail "the half-written file started a run of its own"

# a typo fixed: only what carries French
sed -i 's/rétention/détention/' subs/fr.srt
wait_for 30 "run 3" grep -q 'watch: run 3:' watch.log
grep -q 'Des alternatives à la détention.' out/cam/c/c.fr.vtt || fail "the fix did not reach the sidecar"
grep -q 'watch: .*subs/fr.srt: changed' watch.log || fail "the changed file is not named"
grep -q 'skip  cam/c/c.en.vtt (up to date)' <(sed -n '/watch: .*fr.srt: changed/,$p' watch.log) || fail "run 3 rebuilt English"

kill -INT "$pid"
rc=0
wait "$pid" || rc=$?
pid=
[ "$rc" = 0 ] || fail "Ctrl-C ended the watch with exit $rc, want 0"
echo "watch: ok (first run, a file taken once settled, re-mux not re-encode, a fix, Ctrl-C)"
