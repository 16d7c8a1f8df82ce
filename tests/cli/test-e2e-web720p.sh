#!/usr/bin/env bash
# End to end: a sample interview (scripts/make-sample-interview) through
# `clipline run`, then the output checked with ffprobe as an outside
# reference: h264 High, yuv420p, even size no larger than the source, AAC
# 48 kHz stereo, moov before mdat, duration within one frame of the clip,
# manifest bytes/sha256 matching the file; a second run rebuilds nothing.
# Usage: test-e2e-web720p.sh CLIPLINE MKMEDIA REPO
set -euo pipefail
clipline=$1 mkmedia=$2 repo=$3
work=$(mktemp -d "${TMPDIR:-/tmp}/clipline-e2e-XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "e2e: FAIL: $*" >&2; exit 1; }

MKMEDIA=$mkmedia "$repo/scripts/make-sample-interview" "$work/sample" 8 >/dev/null
cat > "$work/job.json" <<JOB
{
  "destination": "out",
  "presets": ["web-720p"],
  "interviews": [
    { "id": "expert-01", "source": "sample/interview.mov", "subtitles": "sample/subs",
      "clips": [ { "name": "module-1", "in": "00:00:01.500", "out": "00:00:06.000" } ] }
  ]
}
JOB
CLIPLINE_PRESETS=$repo/presets "$clipline" run "$work/job.json" 2>"$work/log" || { cat "$work/log" >&2; fail "run failed"; }
mp4=$work/out/expert-01/module-1/module-1.web-720p.mp4
[ -s "$mp4" ] || fail "no output"

probe() { ffprobe -v error -select_streams "$1" -show_entries "$2" -of default=nw=1:nk=1 "$mp4"; }
[ "$(probe v:0 stream=codec_name)" = h264 ] || fail "video codec"
[ "$(probe v:0 stream=profile)" = High ] || fail "profile $(probe v:0 stream=profile)"
[ "$(probe v:0 stream=pix_fmt)" = yuv420p ] || fail "pix_fmt"
w=$(probe v:0 stream=width) h=$(probe v:0 stream=height)
[ $((w % 2)) -eq 0 ] && [ $((h % 2)) -eq 0 ] || fail "odd size ${w}x${h}"
[ "$w" -le 1920 ] && [ "$h" -le 1080 ] && [ "$w" -le 1280 ] && [ "$h" -le 720 ] || fail "size ${w}x${h}"
[ "$(probe a:0 stream=codec_name)" = aac ] || fail "audio codec"
[ "$(probe a:0 stream=profile)" = LC ] || fail "audio profile"
[ "$(probe a:0 stream=sample_rate)" = 48000 ] || fail "audio rate"
[ "$(probe a:0 stream=channels)" = 2 ] || fail "channels"
dur=$(probe v:0 stream=duration)
awk -v d="$dur" 'BEGIN { e = d - 4.5; if (e < 0) e = -e; exit !(e <= 1/30 + 0.001) }' || fail "duration $dur, want 4.5 within one frame"
frames=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames -of default=nw=1:nk=1 "$mp4")
[ "$frames" = 135 ] || fail "$frames frames, want 135 (4.5 s at 30 fps)"

# moov before mdat: walk the top-level boxes
pos=0 order=""
size=$(stat -c %s "$mp4")
while [ "$pos" -lt "$size" ]; do
  len=$(od -An -tu1 -j "$pos" -N4 "$mp4" | awk '{print $1*16777216 + $2*65536 + $3*256 + $4}')
  typ=$(dd if="$mp4" bs=1 skip=$((pos + 4)) count=4 2>/dev/null)
  order="$order $typ"
  [ "$len" -ge 8 ] || break
  pos=$((pos + len))
done
case $order in *moov*mdat*) ;; *) fail "box order:$order" ;; esac

# manifest: bytes and sha256 of the file as published
manifest=$work/out/manifest.json
sha=$(sha256sum "$mp4" | cut -d' ' -f1)
grep -q "\"sha256\": \"$sha\"" "$manifest" || fail "manifest sha256"
grep -q "\"bytes\": $(stat -c %s "$mp4")" "$manifest" || fail "manifest bytes"
grep -q '"fingerprint": "[0-9a-f]\{64\}"' "$manifest" || fail "manifest fingerprint"
[ ! -e "$work/out/.clipline-staging" ] || fail "staging left behind"

# the English sidecar follows the trim: every cue inside [0, 4.5 s]
vtt=$work/out/expert-01/module-1/module-1.en.vtt
head -1 "$vtt" | grep -q '^WEBVTT' || fail "sidecar is not WebVTT"
grep -- '-->' "$vtt" | awk '{ split($1, a, ":"); split($3, b, ":");
  s = a[1]*3600 + a[2]*60 + a[3]; e = b[1]*3600 + b[2]*60 + b[3];
  if (s < 0 || e > 4.5 || e <= s) { print "bad cue " $0; exit 1 } }' || fail "sidecar cue outside the clip"

# second run: nothing rebuilt, the file untouched
before=$(stat -c %Y.%s "$mp4")
CLIPLINE_PRESETS=$repo/presets "$clipline" run "$work/job.json" 2>"$work/log2"
grep -q "0 outputs built, 3 up to date" "$work/log2" || { cat "$work/log2" >&2; fail "second run rebuilt"; }
[ "$(stat -c %Y.%s "$mp4")" = "$before" ] || fail "second run touched the output"
echo "e2e: ok (${w}x${h}, $dur s, $frames frames, box order:$order)"
