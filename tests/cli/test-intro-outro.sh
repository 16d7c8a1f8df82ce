#!/usr/bin/env bash
# Intro and outro on the clip's timeline, measured on a timecoded source
# (lib.sh: timecode_video; tests/tools/avsync reads it back):
# - a still title card (barcode 60001, no sound) for 2 s, the clip's frames
#   exactly, then a 1.5 s video outro (barcodes 61001.., its own 1500 Hz
#   tone): the output's frames are exactly those, in that order;
# - the sound lasts as long as the picture, and the clip's sound stays within
#   a frame of its picture after the intro moved both;
# - subtitles move with the intro: a cue spanning `in` starts when the intro
#   ends; burned text agrees with the sidecar on every frame;
# - the intro and outro count against the module length; a missing intro
#   fails only its clip, naming the file and the job's line; the others build;
# - a re-run skips everything; a changed title card rebuilds only the clips
#   that show it; the manifest records both parts.
# Usage: test-intro-outro.sh CLIPLINE MKMEDIA AVSYNC REPO
set -euo pipefail
clipline=$1 mkmedia=$2 avsync=$3 repo=$4
work=$(mktemp -d "${TMPDIR:-/tmp}/clipline-parts-XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "intro-outro: FAIL: $*" >&2; exit 1; }
. "$(dirname "$0")/lib.sh"
cd "$work"
export CLIPLINE_PRESETS=$repo/presets CLIPLINE_CACHE_DIR=$work/cache

# (a black band at the bottom, where burned text shows as a large difference)
"$mkmedia" source.mov --duration 12 --video "$(timecode_video 320x180 30),drawbox=y=135:h=45:color=black:t=fill" --vopt preset=veryfast --vopt g=60 \
  --audio "aevalsrc=exprs='0.5*sin(2*PI*(400+100*mod(floor(t)\,8))*t)':s=48000" --quiet
"$mkmedia" card.png --duration 1 --video "$(timecode_video 320x180 1 60001)" --vcodec png --format image2 --quiet
"$mkmedia" outro.mov --duration 1.5 --video "$(timecode_video 320x180 30 61001)" --vopt preset=veryfast \
  --audio "sine=frequency=1500:sample_rate=48000" --quiet
mkdir subs
cat > subs/en.srt <<'SRT'
1
00:00:01,500 --> 00:00:02,500
Spans the in point.

2
00:00:03,500 --> 00:00:04,500
Inside the clip.
SRT
cat > job.json <<'JOB'
{ "destination": "out", "presets": ["web-360p"], "module_length": "0:08",
  "intro": { "file": "card.png", "duration": 2 }, "outro": "outro.mov",
  "subtitles": { "burn_in": { "languages": ["en"] } },
  "interviews": [ { "id": "tc", "source": "source.mov", "subtitles": "subs", "clips": [
    { "name": "joined", "in": "61f", "out": "181f" },
    { "name": "too-long", "in": 0, "out": 5 },
    { "name": "no-card", "in": 0, "out": 2,
      "intro": "missing-card.png" },
    { "name": "plain", "in": 0, "out": 3, "intro": false, "outro": false } ] } ] }
JOB
rc=0
"$clipline" run job.json 2> run.log || rc=$?
[ "$rc" = 1 ] || { cat run.log; fail "exit $rc, want 1 (items failed)"; }
grep -q 'clip "too-long": the clip lasts 0:00:08.500 with its intro and outro, longer than the module length 0:00:08.000' run.log \
  || { cat run.log; fail "too-long: no module-length error counting the intro and outro"; }
grep -q 'clip "no-card": the intro (job.json:8).*missing-card.png' run.log \
  || { cat run.log; fail "no-card: the error does not name the file and the job's line"; }
[ -s out/tc/plain/plain.web-360p.mp4 ] || fail "plain: not built beside the failed clips"
[ ! -e out/tc/too-long ] && [ ! -e out/tc/no-card ] || fail "a failed clip published something"

d=out/tc/joined
j=$("$avsync" "$d/joined.web-360p.mp4") || fail "avsync cannot read the output"
echo "joined: $j"
want="60001*60 61-180 61001-61045"
grep -qF "\"runs\": \"$want\"" <<<"$j" || fail "frames: want \"$want\""
awk -v j="$j" 'BEGIN {
    n = split(j, kv, /[{},] */)
    for (i = 1; i <= n; i++) if (split(kv[i], p, /": */) == 2) { gsub(/"/, "", p[1]); v[p[1]] = p[2] }
    d = v["audio_s"] - v["video_s"]; if (d < 0) d = -d
    if (d > 1024 / 48000) { printf "audio %.4f s against video %.4f s\n", v["audio_s"], v["video_s"]; exit 1 }
    if (v["boundaries"] < 3 || v["matched"] != v["boundaries"]) { print "second marks: " v["matched"] " of " v["boundaries"]; exit 1 }
    w = v["worst_offset_ms"]; if (w < 0) w = -w
    if (w >= v["frame_s"] * 1000) { print "A/V offset " v["worst_offset_ms"] " ms"; exit 1 }
  }' >&2 || fail "joined: picture and sound disagree"

# subtitles after the intro: the cue spanning in (1.5 s, in at 2.033 s) starts at 2 s
head -4 "$d/joined.en.vtt" | grep -q '^00:00:02.000 --> 00:00:02.467' \
  || { cat "$d/joined.en.vtt"; fail "the cue spanning in does not start where the intro ends"; }
burn_agrees joined "$d/joined.web-360p.burned-en.mp4" "$d/joined.web-360p.mp4" "$d/joined.en.vtt" 225 \
  || fail "burned and soft subtitles disagree"
python3 - "$d/manifest.json" <<'PY' || fail "the clip's manifest"
import json, sys
m = json.load(open(sys.argv[1]))
assert m["intro"] == {"file": "card.png", "duration_s": 2.0}, m.get("intro")
assert m["outro"] == {"file": "outro.mov", "duration_s": 1.5}, m.get("outro")
assert abs(m["duration_s"] - 7.5) < 1e-6, m["duration_s"]
PY

"$clipline" plan --explain job.json > plan.log 2>&1 || true
grep -q 'clip tc/joined: 0:00:02.033 to 0:00:06.033 with 2.000 s of intro before and 1.500 s of outro after, 0:00:07.500' plan.log \
  || { cat plan.log; fail "plan --explain does not show the intro and outro"; }

# nothing changed: nothing built; a new title card: only the clips that show it
"$clipline" run job.json 2> again.log || true
grep -q '^clipline: build' again.log && { cat again.log; fail "a re-run rebuilt something"; }
touch -d '2001-01-01' card.png # the same bytes: nothing
"$clipline" run job.json 2> touched.log || true
grep -q '^clipline: build' touched.log && { cat touched.log; fail "a touched card with the same bytes rebuilt something"; }
"$mkmedia" card.png --duration 1 --video "$(timecode_video 320x180 1 60002)" --vcodec png --format image2 --quiet
"$clipline" run job.json 2> card.log || true
grep -q 'build tc/joined/joined.web-360p.mp4 (intro changed)' card.log || { cat card.log; fail "a new card did not rebuild joined"; }
grep -q 'build tc/plain/' card.log && { cat card.log; fail "a new card rebuilt plain, which has no intro"; }
echo "intro-outro: ok ($want; subtitles and burn-in after the intro; module length, errors, rebuilds)"
