#!/usr/bin/env bash
# One timeline for picture and sound, measured on a timecoded source:
# every frame carries its number as a barcode, the tone's frequency says which
# second of the recording it is (tests/tools/avsync reads both back).
# For clips cut at the very first and last frames, just before and after a
# keyframe (every 2 s in the source), in the middle, and for a whole
# 15-minute recording: the first and last output frames are exactly the
# requested ones with none missing, the audio lasts as long as the video
# within one AAC frame, and audio and video stay within one frame of each
# other at the start and the end.
# Usage: test-timeline.sh CLIPLINE MKMEDIA AVSYNC REPO
set -euo pipefail
clipline=$1 mkmedia=$2 avsync=$3 repo=$4
work=$(mktemp -d "${TMPDIR:-/tmp}/clipline-timeline-XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "timeline: FAIL: $*" >&2; exit 1; }
. "$(dirname "$0")/lib.sh"
cd "$work"
minutes=${CLIPLINE_TIMELINE_MINUTES:-15}
secs=$((minutes * 60))
frames=$((secs * 30))

video=$(timecode_video 320x180 30)
"$mkmedia" source.mov --duration "$secs" --video "$video" --vopt preset=veryfast --vopt g=60 \
  --audio "aevalsrc=exprs='0.5*sin(2*PI*(400+100*mod(floor(t)\,8))*t)':s=48000" --quiet \
  || fail "mkmedia could not make the source"
"$avsync" source.mov > source.json
grep -q "\"first\": 0, \"last\": $((frames - 1)), \"skipped\": 0" source.json || { cat source.json; fail "the source does not read back"; }

cat > job.json <<JOB
{ "destination": "out", "presets": ["web-360p"],
  "interviews": [ { "id": "tc", "source": "source.mov", "clips": [
    { "name": "first-frame", "in": "0f", "out": "45f" },
    { "name": "before-key", "in": "59f", "out": "121f" },
    { "name": "after-key", "in": "61f", "out": "119f" },
    { "name": "middle", "in": "00:01:10.500", "out": "00:02:20.250" },
    { "name": "last-frame", "in": "$((frames - 75))f" },
    { "name": "whole" } ] } ] }
JOB
CLIPLINE_PRESETS=$repo/presets "$clipline" run -q job.json 2> run.log || { cat run.log; fail "clipline run failed"; }

# name first last
check() {
  local f=out/tc/$1/$1.web-360p.mp4 j
  [ -s "$f" ] || fail "$1: no output"
  j=$("$avsync" "$f") || fail "$1: avsync cannot read $f"
  echo "$1: $j"
  awk -v j="$j" -v name="$1" -v first="$2" -v last="$3" 'BEGIN {
    n = split(j, kv, /[{},] */)
    for (i = 1; i <= n; i++) if (split(kv[i], p, /": */) == 2) { gsub(/"/, "", p[1]); v[p[1]] = p[2] }
    bad = ""
    if (v["first"] != first) bad = bad sprintf(" first frame %s, want %s;", v["first"], first)
    if (v["last"] != last) bad = bad sprintf(" last frame %s, want %s;", v["last"], last)
    if (v["skipped"] != 0) bad = bad sprintf(" %s frames missing or out of order;", v["skipped"])
    d = v["audio_s"] - v["video_s"]; if (d < 0) d = -d
    if (d > 1024 / 48000) bad = bad sprintf(" audio %.4f s against video %.4f s;", v["audio_s"], v["video_s"])
    frame_ms = v["frame_s"] * 1000
    if (v["boundaries"] > 0) {
      if (v["matched"] != v["boundaries"]) bad = bad sprintf(" %s of %s second marks matched;", v["matched"], v["boundaries"])
      for (k in a) delete a[k]
      split("first_offset_ms last_offset_ms worst_offset_ms", a, " ")
      for (k = 1; k <= 3; k++) { o = v[a[k]]; if (o < 0) o = -o; if (o >= frame_ms) bad = bad sprintf(" %s %s;", a[k], v[a[k]]) }
    }
    if (bad != "") { print name ":" bad > "/dev/stderr"; exit 1 }
  }' || fail "$1"
}
check first-frame 0 44
check before-key 59 120
check after-key 61 118
check middle 2115 4207
check last-frame $((frames - 75)) $((frames - 1))
check whole 0 $((frames - 1))
grep -q '"boundaries": [1-9]' <<<"$("$avsync" out/tc/whole/whole.web-360p.mp4)" || fail "whole: no second marks found"
echo "timeline: ok ($minutes-minute source; 6 clips frame-exact, A/V within a frame at start and end)"
