#!/usr/bin/env bash
# test-mkmedia-variants.sh MKMEDIA: makes small files with mkmedia's variants
# (rotation, field order, VFR, 10-bit, SAR, audio delay, audio file, video-only,
# audio-only, option errors) and checks each with ffprobe.
set -euo pipefail
MKMEDIA=${1:-${MKMEDIA:?usage: test-mkmedia-variants.sh path/to/mkmedia}}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/test-mkmedia.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
SRC="testsrc2=size=320x240:rate=30"
SINE="sine=frequency=440:sample_rate=48000"
fails=0
check() { # check WHAT EXPECTED ACTUAL
    if [[ $2 == "$3" ]]; then echo "ok   $1 = $3"; else echo "FAIL $1: expected '$2', got '$3'"; fails=$((fails + 1)); fi
}
near() { # near WHAT EXPECTED ACTUAL TOLERANCE
    if awk -v e="$2" -v a="$3" -v t="$4" 'BEGIN { d = a - e; exit !(a != "" && d <= t && d >= -t) }'; then
        echo "ok   $1 = $3"; else echo "FAIL $1: expected $2 +- $4, got '$3'"; fails=$((fails + 1)); fi
}
probe() { # probe FILE STREAMS ENTRIES (STREAMS "" = all)
    ffprobe -v error ${2:+-select_streams "$2"} -show_entries "$3" -of default=nw=1:nk=1 "$WORK/$1"; }
mk() { # mk OUT ARGS...: must succeed
    local out=$1; shift
    if ! "$MKMEDIA" "$WORK/$out" --quiet "$@"; then echo "FAIL mkmedia $out $*"; fails=$((fails + 1)); return 1; fi
}
mk_fails() { # mk_fails WHAT PATTERN ARGS...: must fail with exit 1 or 2 and say PATTERN
    local what=$1 pattern=$2 rc=0; shift 2
    "$MKMEDIA" "$@" 2> "$WORK/err" || rc=$?
    if [[ $rc -ne 0 ]] && grep -q -- "$pattern" "$WORK/err"; then echo "ok   $what fails (exit $rc)"
    else echo "FAIL $what: exit $rc, stderr: $(cat "$WORK/err")"; fails=$((fails + 1)); fi
}

# rotation: a phone held at 90 degrees (ffprobe shows the matrix as -90)
mk rot.mp4 --duration 1 --video "$SRC" --rotate 90 &&
    check "rotation side data" -90 "$(probe rot.mp4 v:0 stream_side_data=rotation)"
mk norot.mp4 --duration 1 --video "$SRC" &&
    check "no rotation side data" "" "$(probe norot.mp4 v:0 stream_side_data=rotation)"

# interlaced H.264
mk tt.mov --duration 1 --video "$SRC" --field-order tt &&
    check "field order tt" tt "$(probe tt.mov v:0 stream=field_order)"
mk bb.mov --duration 1 --video "$SRC" --field-order bb &&
    check "field order bb" bb "$(probe bb.mov v:0 stream=field_order)"
check "field order progressive" progressive "$(probe norot.mp4 v:0 stream=field_order)"

# variable frame rate: frame intervals alternate 50 ms / 16 ms; the CFR default has one interval
intervals() { ffprobe -v error -select_streams v:0 -show_entries packet=pts -of csv=p=0 "$WORK/$1" | sort -n |
    awk 'NR > 1 { print $1 - prev } { prev = $1 }' | sort -u | wc -l; }
mk vfr.mp4 --duration 2 --video "$SRC,settb=1/1000,setpts='N*33+17*mod(N\\,2)'" --vfr &&
    check "VFR distinct frame intervals" 2 "$(intervals vfr.mp4)"
check "CFR distinct frame intervals" 1 "$(intervals norot.mp4)"

# 10-bit with libx264
mk p10.mp4 --duration 1 --video "$SRC" --pix-fmt yuv420p10le && {
    check "10-bit pix_fmt" yuv420p10le "$(probe p10.mp4 v:0 stream=pix_fmt)"
    check "10-bit profile" "High 10" "$(probe p10.mp4 v:0 stream=profile)"
}

# sample aspect ratio, delayed audio in MOV (pcm_s16le by default there)
mk sar.mov --duration 2 --video "$SRC" --sar 4:3 --audio "$SINE" --audio-delay 0.5 && {
    check "SAR" 4:3 "$(probe sar.mov v:0 stream=sample_aspect_ratio)"
    check "MOV default audio codec" pcm_s16le "$(probe sar.mov a:0 stream=codec_name)"
    near "audio start" 0.5 "$(probe sar.mov a:0 stream=start_time)" 0.001
    near "video start" 0 "$(probe sar.mov v:0 stream=start_time)" 0.001
}

# video-only and audio-only; MP4 defaults to AAC
mk vonly.mp4 --duration 1 --video "$SRC" && {
    check "video-only stream count" 1 "$(probe vonly.mp4 "" stream=index | wc -l)"
    check "video-only type" video "$(probe vonly.mp4 "" stream=codec_type)"
}
mk aonly.mp4 --duration 1 --audio "$SINE" && {
    check "audio-only stream count" 1 "$(probe aonly.mp4 "" stream=index | wc -l)"
    check "audio-only codec" aac "$(probe aonly.mp4 a:0 stream=codec_name)"
}

# audio from a file (sox), resampled to the encoder's format and padded to the duration
if command -v sox >/dev/null; then
    sox -R -D -n -r 44100 -c 2 -b 16 "$WORK/tone.wav" synth 1.5 sine 300
    mk afile.mov --duration 3 --video "$SRC" --audio-file "$WORK/tone.wav" --acodec pcm_s24le && {
        check "audio file codec" pcm_s24le "$(probe afile.mov a:0 stream=codec_name)"
        check "audio file rate" 44100 "$(probe afile.mov a:0 stream=sample_rate)"
        check "audio file channels" 2 "$(probe afile.mov a:0 stream=channels)"
        near "audio file padded duration" 3 "$(probe afile.mov a:0 stream=duration)" 0.001
    }
fi

# muxer options (the index at the front), one audio stream written several times
mk fast.mp4 --duration 1 --video "$SRC" --mopt movflags=+faststart &&
    check "faststart: the box after ftyp" moov "$(head -c 40 "$WORK/fast.mp4" | tail -c 4)"
check "default: the box after ftyp" free "$(head -c 40 "$WORK/norot.mp4" | tail -c 4)"
mk copies.mkv --duration 1 --video "$SRC" --audio "$SINE" --audio-copies 5 &&
    check "audio copies" 5 "$(probe copies.mkv a stream=index | wc -l)"
mk_fails "unused muxer option" "bogus" "$WORK/bad.mp4" --duration 1 --video "$SRC" --mopt bogus=1

# errors: unused encoder option, bad usage, no partial output left behind
mk_fails "unused encoder option" "bogus" "$WORK/bad.mp4" --duration 1 --video "$SRC" --vopt bogus=1
check "no output after failure" "" "$(find "$WORK" -name 'bad*')"
mk_fails "missing duration" "duration" "$WORK/x.mp4" --video "$SRC"
mk_fails "bad field order" "field-order" "$WORK/x.mp4" --duration 1 --video "$SRC" --field-order up
mk_fails "unknown option" "unknown option" "$WORK/x.mp4" --duration 1 --colour red
"$MKMEDIA" --help | grep -q -- "--audio-file" && echo "ok   --help" || { echo "FAIL --help"; fails=$((fails + 1)); }

[[ $fails -eq 0 ]] || { echo "$fails check(s) failed"; exit 1; }
echo "all checks passed"
