#!/usr/bin/env bash
# Awkward sources made web-safe (issue: renditions). Each source is
# generated with mkmedia, run through clipline (web-480p), and the output
# checked with ffprobe as an outside reference; the manifest must say what
# was changed. Usage: test-awkward-sources.sh CLIPLINE MKMEDIA REPO
set -euo pipefail
clipline=$1 mk=$2 repo=$3
work=$(mktemp -d "${TMPDIR:-/tmp}/clipline-awkward-XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
fails=0
fail() { echo "awkward: FAIL: $*" >&2; fails=$((fails + 1)); }
gen() { "$mk" "$@" --quiet; }
tone="sine=frequency=440:sample_rate=48000"

gen rotated.mp4 --duration 2 --video "testsrc2=size=640x360:rate=30" --audio "$tone" --rotate 90 --vopt preset=ultrafast
gen interlaced.mp4 --duration 2 --video "testsrc2=size=720x576:rate=25" --audio "$tone" --field-order tt --vopt preset=ultrafast
gen vfr.mkv --duration 3 --video "testsrc2=size=640x360:rate=30,setpts='N/30/TB+if(gt(N,30),0.5,0)/TB'" --vfr --audio "$tone" --vopt preset=ultrafast
gen tenbit.mp4 --duration 2 --video "testsrc2=size=640x360:rate=30" --pix-fmt yuv420p10le --audio "$tone" --vopt preset=ultrafast
gen yuv422.mp4 --duration 2 --video "testsrc2=size=640x360:rate=30" --pix-fmt yuv422p --audio "$tone" --vopt preset=ultrafast
gen surround.mp4 --duration 2 --video "testsrc2=size=640x360:rate=30" --audio "sine=frequency=440:sample_rate=48000,aformat=channel_layouts=5.1" --vopt preset=ultrafast
gen late.mov --duration 3 --video "testsrc2=size=640x360:rate=30" --audio "$tone" --audio-delay 0.5 --vopt preset=ultrafast
gen mute.mp4 --duration 2 --video "testsrc2=size=640x360:rate=30" --vopt preset=ultrafast

cat > job.json <<'JOB'
{ "destination": "out", "presets": ["web-480p"],
  "interviews": [
    { "id": "rotated", "source": "rotated.mp4" },
    { "id": "interlaced", "source": "interlaced.mp4" },
    { "id": "vfr", "source": "vfr.mkv" },
    { "id": "tenbit", "source": "tenbit.mp4" },
    { "id": "yuv422", "source": "yuv422.mp4" },
    { "id": "surround", "source": "surround.mp4" },
    { "id": "late", "source": "late.mov" },
    { "id": "mute", "source": "mute.mp4" } ] }
JOB
CLIPLINE_PRESETS=$repo/presets "$clipline" run job.json 2>log || { cat log >&2; fail "run failed"; }

out() { echo "out/$1/$1/$1.web-480p.mp4"; }
p() { ffprobe -v error -select_streams "$2" -show_entries "$3" -of default=nw=1:nk=1 "$(out "$1")" | head -1; }
fixes() { tr -d '\n' < "out/$1/$1/manifest.json" | grep -o '"source_fixes": \[[^]]*\]' || true; }
want_fix() { fixes "$1" | grep -q "$2" || fail "$1: manifest does not report \"$2\": $(fixes "$1")"; }

# rotated phone video comes out upright: portrait size, no rotation left
w=$(p rotated v:0 stream=width) h=$(p rotated v:0 stream=height)
[ "$h" -gt "$w" ] || fail "rotated: ${w}x${h} is not portrait"
[ -z "$(ffprobe -v error -select_streams v:0 -show_entries stream_side_data=rotation -of default=nw=1:nk=1 "$(out rotated)")" ] || fail "rotated: rotation metadata left"
want_fix rotated "rotated 90 degrees upright"

# interlaced comes out progressive
fo=$(p interlaced v:0 stream=field_order)
[ "$fo" = progressive ] || fail "interlaced: field order $fo"
want_fix interlaced "deinterlaced"

# VFR comes out CFR with the right duration
r=$(p vfr v:0 stream=r_frame_rate) a=$(p vfr v:0 stream=avg_frame_rate)
[ "$r" = "$a" ] || fail "vfr: r_frame_rate $r != avg_frame_rate $a"
d=$(p vfr v:0 stream=duration)
sd=$(ffprobe -v error -show_entries format=duration -of default=nw=1:nk=1 vfr.mkv)
awk -v d="$d" -v s="$sd" 'BEGIN { e = d - s; if (e < 0) e = -e; exit !(e <= 0.1) }' || fail "vfr: duration $d vs source $sd"
deltas=$(ffprobe -v error -select_streams v:0 -show_entries packet=pts_time -of csv=p=0 "$(out vfr)" | sort -n | awk 'NR > 1 { printf "%.4f\n", $1 - prev } { prev = $1 }' | sort -u | wc -l)
[ "$deltas" -eq 1 ] || fail "vfr: $deltas different frame intervals in the output"

# 10-bit and 4:2:2 come out 8-bit 4:2:0 High
for s in tenbit yuv422; do
  [ "$(p $s v:0 stream=pix_fmt)" = yuv420p ] || fail "$s: pix_fmt $(p $s v:0 stream=pix_fmt)"
  [ "$(p $s v:0 stream=profile)" = High ] || fail "$s: profile $(p $s v:0 stream=profile)"
  want_fix $s "converted to 8-bit 4:2:0"
done

# colour tagged BT.709
[ "$(p tenbit v:0 stream=color_primaries)" = bt709 ] || fail "colour primaries not bt709"

# 5.1 comes out stereo
[ "$(p surround a:0 stream=channels)" = 2 ] || fail "surround: $(p surround a:0 stream=channels) channels"
want_fix surround "mixed to stereo"

# audio starting late: aligned with the video from the first frame, same length
as=$(p late a:0 stream=start_time) vs=$(p late v:0 stream=start_time)
awk -v a="$as" -v v="$vs" 'BEGIN { e = a - v; if (e < 0) e = -e; exit !(e < 1/30) }' || fail "late: audio starts at $as, video at $vs"
ad=$(p late a:0 stream=duration) vd=$(p late v:0 stream=duration)
awk -v a="$ad" -v v="$vd" 'BEGIN { e = a - v; if (e < 0) e = -e; exit !(e < 0.05) }' || fail "late: audio lasts $ad, video $vd"

# no audio in the source: a silent stereo AAC track (the preset's default)
[ "$(p mute a:0 stream=codec_name)" = aac ] || fail "mute: no audio track added"
md=$(p mute a:0 stream=duration)
awk -v a="$md" 'BEGIN { exit !(a > 1.9 && a < 2.1) }' || fail "mute: silent track lasts $md"
want_fix mute "silent track added"

# loudness: two-pass EBU R128 to -16 LUFS with a linear gain, measured on
# the output by ffprobe's own ebur128 (an outside reference)
for s in vfr late; do
  i=$(ffprobe -v error -f lavfi -i "amovie=$(out $s),ebur128=metadata=1" -show_entries frame_tags=lavfi.r128.I -of csv=p=0 | grep . | tail -1)
  awk -v i="$i" 'BEGIN { exit !(i > -17 && i < -15) }' || fail "$s: output loudness $i LUFS, want -16 +- 1"
  grep -q '"method": "EBU R128 two-pass, linear gain"' "out/$s/$s/manifest.json" || fail "$s: loudness not in the manifest"
done

[ $fails -eq 0 ] || { cat log >&2; exit 1; }
echo "awkward: ok (8 sources)"
