#!/usr/bin/env bash
# test-sample-interview.sh SCRIPT: runs scripts/make-sample-interview for 4 s
# (MKMEDIA in the environment) and checks the result with ffprobe.
set -euo pipefail
SCRIPT=${1:?usage: test-sample-interview.sh path/to/make-sample-interview}
: "${MKMEDIA:?set MKMEDIA to the mkmedia binary}"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/test-sample.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
fails=0
check() { # check WHAT EXPECTED ACTUAL
    if [[ $2 == "$3" ]]; then echo "ok   $1 = $3"; else echo "FAIL $1: expected '$2', got '$3'"; fails=$((fails + 1)); fi
}
near() { # near WHAT EXPECTED ACTUAL TOLERANCE
    if awk -v e="$2" -v a="$3" -v t="$4" 'BEGIN { d = a - e; exit !(a != "" && d <= t && d >= -t) }'; then
        echo "ok   $1 = $3"; else echo "FAIL $1: expected $2 +- $4, got '$3'"; fails=$((fails + 1)); fi
}
probe() { ffprobe -v error -select_streams "$1" -show_entries "$2" -of default=nw=1:nk=1 "$WORK/interview.mov"; }

"$SCRIPT" "$WORK" 4
MOV=$WORK/interview.mov
[[ -s $MOV ]] || { echo "FAIL no $MOV"; exit 1; }
check "video codec" h264 "$(probe v:0 stream=codec_name)"
check "video profile" High "$(probe v:0 stream=profile)"
check "video size" 1920x1080 "$(probe v:0 stream=width,height | paste -sd x)"
check "pixel format" yuv420p "$(probe v:0 stream=pix_fmt)"
check "frame rate" 30/1 "$(probe v:0 stream=r_frame_rate)"
check "video streams" 1 "$(probe v stream=index | wc -l)"
check "audio codec" pcm_s16le "$(probe a:0 stream=codec_name)"
check "sample rate" 48000 "$(probe a:0 stream=sample_rate)"
check "channels" 2 "$(probe a:0 stream=channels)"
check "audio streams" 1 "$(probe a stream=index | wc -l)"
near "duration" 4 "$(ffprobe -v error -show_entries format=duration -of default=nw=1:nk=1 "$MOV")" 0.05
near "video bitrate (Mb/s)" 30 "$(probe v:0 stream=bit_rate | awk '{ print $1 / 1e6 }')" 8

SRT=$WORK/subs/en.srt
if [[ -s $SRT ]]; then
    cues=$(grep -c -- '-->' "$SRT" || true)
    [[ $cues -ge 1 ]] && echo "ok   $cues cue(s)" || { echo "FAIL no cue in $SRT"; fails=$((fails + 1)); }
    # every cue must lie inside the 4 s recording, start before it ends
    bad=$(awk -F' --> ' '/-->/ {
            split($1, a, /[:,]/); split($2, b, /[:,]/)
            s = a[1] * 3600 + a[2] * 60 + a[3] + a[4] / 1000; e = b[1] * 3600 + b[2] * 60 + b[3] + b[4] / 1000
            if (s < 0 || e > 4.0005 || e <= s) n++ } END { print n + 0 }' "$SRT")
    check "cues outside 0..4 s" 0 "$bad"
else
    echo "FAIL no $SRT"; fails=$((fails + 1))
fi
[[ $fails -eq 0 ]] || { echo "$fails check(s) failed"; exit 1; }
echo "all checks passed"
