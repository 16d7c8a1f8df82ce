#!/usr/bin/env bash
# Also: audio fades where the clip cuts the recording.
# Burn-in follows the same timeline as the soft subtitles: for every frame of
# a burned rendition, the subtitle band differs from the clean rendition
# exactly while a cue of the WebVTT sidecar is active (lib.sh: burn_agrees).
# Usage: test-burn-in.sh CLIPLINE FIXTURES REPO
set -euo pipefail
clipline=$1 fixtures=$2 repo=$3
work=$(mktemp -d "${TMPDIR:-/tmp}/clipline-burn-XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "burn-in: FAIL: $*" >&2; exit 1; }
. "$(dirname "$0")/lib.sh"
cd "$work"
ln -s "$fixtures" media
cat > job.json <<'JOB'
{ "destination": "out", "presets": ["web-720p"],
  "subtitles": { "burn_in": { "languages": ["en", "ar"] } },
  "interviews": [ { "id": "cam", "source": "media/cam.mov", "subtitles": "media/subs",
     "clips": [ { "name": "part-1", "in": "1", "out": "3" } ] } ] }
JOB
CLIPLINE_PRESETS=$repo/presets "$clipline" run job.json 2>log || { cat log >&2; fail "run failed"; }
d=out/cam/part-1
for lang in en ar; do
  burned=$d/part-1.web-720p.burned-$lang.mp4
  [ -s "$burned" ] || fail "no $burned"
  grep -q "\"burned_language\": \"$lang\"" out/manifest.json || fail "manifest: burned_language $lang"
  burn_agrees "$lang" "$burned" "$d/part-1.web-720p.mp4" "$d/part-1.$lang.vtt" 60 \
    || fail "$lang: burned and soft subtitles disagree"
done
# the clip cuts a steady tone at 1 s and 3 s: short fades at both cuts (no clicks)
clean=$d/part-1.web-720p.mp4
peak() { ffprobe -v error -f lavfi -i "amovie=$clean,atrim=$1,astats=metadata=1:reset=0" \
           -show_entries frame_tags=lavfi.astats.Overall.Peak_level -of csv=p=0 | grep . | tail -1; }
a=$(peak 0:0.004) m=$(peak 1:1.004) z=$(peak 1.996:2)
awk -v a="$a" -v m="$m" -v z="$z" 'BEGIN { exit !(a < m - 8 && z < m - 8) }' \
  || fail "no fades at the cuts: first 4 ms $a dB, middle $m dB, last 4 ms $z dB"
echo "burn-in: ok (en, ar: burned text exactly while the sidecar's cues are active)"
