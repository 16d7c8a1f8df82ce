#!/usr/bin/env bash
# Soft subtitles: every language of the drop folder as
#   - a mov_text track of the clean MP4, tagged with its ISO 639-2 code and
#     named in its own script, whose samples are the sidecar's cues;
#   - an HLS subtitle rendition (EXT-X-MEDIA TYPE=SUBTITLES in the master,
#     WebVTT segments with X-TIMESTAMP-MAP) whose cues are the sidecar's;
# and a subtitle file still being written is left for the next run.
# Measured with ffprobe (an outside reference).
# ASS files are read too (through libass), and burned in as authored.
# Usage: test-soft-subtitles.sh CLIPLINE FIXTURES REPO
set -euo pipefail
clipline=$1 fixtures=$2 repo=$3
work=$(mktemp -d "${TMPDIR:-/tmp}/clipline-soft-XXXXXX")
writer=
cleanup() { [ -n "$writer" ] && kill "$writer" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
fail() { echo "soft-subtitles: FAIL: $*" >&2; exit 1; }
cd "$work"
ln -s "$fixtures" media
cp -r "$fixtures/subs" subs
rm -f subs/*.report.txt
# Greek from a hand-made ASS file on the clip's timeline (read through libass)
cat > subs/part-1.el.ass <<'ASS'
[Script Info]
ScriptType: v4.00+
PlayResX: 1280
PlayResY: 720

[V4+ Styles]
Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding
Style: Default,Noto Sans,40,&H00FFFFFF,&H000000FF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,1,2,0,2,20,20,30,1

[Events]
Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
Dialogue: 0,0:00:01.40,0:00:01.90,Default,,0,0,0,,{\i1}Εναλλακτικές λύσεις{\i0}\Nστην κράτηση
Dialogue: 0,0:00:00.30,0:00:00.80,Default,,0,0,0,,{\an8}Καλώς ήρθατε
ASS
# the repository's presets plus a small ladder with 1 s segments, so cues cross segment boundaries
cp -r "$repo/presets" presets
printf '{ "container": "hls", "rungs": ["web-360p"], "segment_s": 1 }\n' > presets/hls-test.json
cat > job.json <<'JOB'
{ "destination": "out", "presets": ["web-360p", "hls-test"],
  "interviews": [ { "id": "cam", "source": "media/cam.mov", "subtitles": "subs",
     "clips": [ { "name": "part-1", "in": "1", "out": "3" } ] } ] }
JOB
export CLIPLINE_PRESETS=$work/presets

# sidecar cue list: "start end text" per cue, times in ms
vtt_cues() {
  awk 'function ms(t,  a, n) { n = split(t, a, ":"); return n == 3 ? (a[1]*3600 + a[2]*60 + a[3]) * 1000 : (a[1]*60 + a[2]) * 1000 }
       /-->/ { s = ms($1); e = ms($3); text = ""; getline t; while (t != "") { text = text (text == "" ? "" : " ") t; if ((getline t) <= 0) break }
               printf "%d %d %s\n", s + 0.5, e + 0.5, text }' "$@"
}

# ---- 1. a file still being written is left for the next run --------------------------------
printf '1\n00:00:01,100 --> 00:00:01,900\nNoch nicht fertig.\n' > subs/de.srt
( while :; do printf '\n' >> subs/de.srt; sleep 0.05; done ) &
writer=$!
"$clipline" run job.json 2>log1 || { cat log1 >&2; fail "first run failed"; }
kill "$writer"; wait "$writer" 2>/dev/null || true; writer=
grep -q 'de.srt: still being written' log1 || { cat log1 >&2; fail "no 'still being written' warning for de.srt"; }
[ ! -e out/cam/part-1/part-1.de.vtt ] || fail "de.srt was read while it was being written"
sleep 2.2 # it settles
"$clipline" run job.json 2>log2 || { cat log2 >&2; fail "second run failed"; }
grep -q 'still being written' log2 && fail "de.srt still reported as being written after it settled"
[ -s out/cam/part-1/part-1.de.vtt ] || fail "de.srt was not picked up once it settled"

d=out/cam/part-1
mp4=$d/part-1.web-360p.mp4
langs="ar de el en fr"
# ---- 2. mov_text tracks of the clean MP4 ------------------------------------------------------
ffprobe -v error -select_streams s -show_entries stream=index,codec_name:stream_tags=language,handler_name \
  -of csv=p=0 "$mp4" > streams.csv
[ "$(wc -l < streams.csv)" -eq 5 ] || { cat streams.csv; fail "want 5 subtitle tracks in $mp4"; }
i=0
for lang in $langs; do
  line=$(sed -n "$((i + 1))p" streams.csv)
  case $lang in ar) want="mov_text,ara,العربية" ;; de) want="mov_text,deu,Deutsch" ;; el) want="mov_text,ell,Ελληνικά" ;;
                en) want="mov_text,eng,English" ;; fr) want="mov_text,fra,Français" ;; esac
  [[ $line == *",$want" ]] || fail "subtitle track $i is '$line', want '*,$want'"
  # its samples with text (the muxer's empty gap samples are 2 bytes), against the sidecar
  ffprobe -v error -select_streams "s:$i" -show_entries packet=pts_time,duration_time,size -of csv=p=0 "$mp4" |
    awk -F, '$3 > 2 { printf "%d %d\n", $1 * 1000 + 0.5, ($1 + $2) * 1000 + 0.5 }' > "mov-$lang.txt"
  vtt_cues "$d/part-1.$lang.vtt" | cut -d' ' -f1,2 > "vtt-$lang.txt"
  [ -s "vtt-$lang.txt" ] || fail "$lang: the sidecar has no cues"
  diff "vtt-$lang.txt" "mov-$lang.txt" >/dev/null || { paste "vtt-$lang.txt" "mov-$lang.txt"; fail "$lang: mov_text samples differ from the sidecar's cues"; }
  i=$((i + 1))
done

# ---- 3. HLS subtitle renditions ---------------------------------------------------------------
master=$d/hls/master.m3u8
for lang in $langs; do
  case $lang in ar) name="العربية" ;; de) name="Deutsch" ;; el) name="Ελληνικά" ;; en) name="English" ;; fr) name="Français" ;; esac
  grep -qF "#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID=\"subs\",LANGUAGE=\"$lang\",NAME=\"$name\"" "$master" ||
    { cat "$master"; fail "master: no subtitle rendition for $lang named $name"; }
  pl=$d/hls/subs-$lang/index.m3u8
  grep -q '#EXT-X-ENDLIST' "$pl" || fail "$pl does not end"
  segs=$(grep -v '^#' "$pl")
  [ "$(echo "$segs" | wc -l)" -eq 2 ] || fail "$pl: want 2 segments of 1 s for the 2 s clip"
  : > "hls-$lang.txt"
  for s in $segs; do
    f=$d/hls/subs-$lang/$s
    sed -n 2p "$f" | grep -qx 'X-TIMESTAMP-MAP=MPEGTS:0,LOCAL:00:00:00.000' || fail "$f: no X-TIMESTAMP-MAP on its second line"
    vtt_cues "$f" >> "hls-$lang.txt"
  done
  sort -u -n "hls-$lang.txt" | cut -d' ' -f1,2 > "hls-$lang.u.txt"
  diff "vtt-$lang.txt" "hls-$lang.u.txt" >/dev/null || { paste "vtt-$lang.txt" "hls-$lang.u.txt"; fail "$lang: the HLS rendition's cues differ from the sidecar's"; }
done
grep -q 'SUBTITLES="subs"' "$master" || fail "master: the variant does not refer to the subtitle group"
# a cue that crosses a segment boundary is in both segments, whole (Arabic: 0.2-1.2 s)
[ "$(cat "$d"/hls/subs-ar/seg-*.vtt | grep -c -- '-->')" -eq 2 ] || fail "ar: the cue crossing 1 s should be in both segments"
ffprobe -v error "$master" >/dev/null 2>&1 || fail "ffprobe cannot read $master"
# the ASS file's cues, in start order, with its italics as a WebVTT span
grep -q '^00:00:00.300 --> 00:00:00.800$' "$d/part-1.el.vtt" || fail "el: the ASS events are not in the sidecar"
grep -q '^<i>Εναλλακτικές λύσεις</i>$' "$d/part-1.el.vtt" || fail "el: the ASS italics are not a <i> span"
# ---- 4. a hand-authored ASS file is burned as authored ---------------------------------------
# Its first event is placed at the top ({\an8}), its second at the bottom (the style's
# alignment 2): the burned picture differs from the clean one in the top band only while
# the first is on screen, in the bottom band only while the second is.
cat > job-burn.json <<'JOB'
{ "destination": "out-burn", "presets": ["web-360p"],
  "subtitles": { "soft": false, "burn_in": { "languages": ["el"] } },
  "interviews": [ { "id": "cam", "source": "media/cam.mov", "subtitles": "subs",
     "clips": [ { "name": "part-1", "in": "1", "out": "3" } ] } ] }
JOB
"$clipline" run job-burn.json 2>log3 || { cat log3 >&2; fail "burn-in run failed"; }
b=out-burn/cam/part-1
band() { # band (top|bottom) -> "time ymax" per frame of |burned - clean| in that quarter
  local y=0; [ "$1" = bottom ] && y='ih*3/4'
  ffprobe -v error -f lavfi -i "movie=$b/part-1.web-360p.burned-el.mp4[a];movie=$b/part-1.web-360p.mp4[b];[a][b]blend=all_mode=difference,crop=iw:ih/4:0:$y,signalstats" \
    -show_entries frame=pts_time:frame_tags=lavfi.signalstats.YMAX -of csv=p=0
}
band top > top.csv
band bottom > bottom.csv
ymax_at() { awk -F, -v t="$2" '($1 - t)^2 < 0.0001 { print $2 }' "$1"; }
[ "$(ymax_at top.csv 0.5)" -gt 150 ] || fail "ASS burn-in: nothing drawn at the top at 0.5 s (the {\\an8} event)"
[ "$(ymax_at bottom.csv 0.5)" -lt 70 ] || fail "ASS burn-in: the {\\an8} event was drawn at the bottom"
[ "$(ymax_at bottom.csv 1.6)" -gt 150 ] || fail "ASS burn-in: nothing drawn at the bottom at 1.6 s"
[ "$(ymax_at top.csv 1.6)" -lt 70 ] || fail "ASS burn-in: something drawn at the top at 1.6 s"
[ "$(ymax_at top.csv 1.1)" -lt 70 ] && [ "$(ymax_at bottom.csv 1.1)" -lt 70 ] || fail "ASS burn-in: something drawn at 1.1 s, between the events"

echo "soft-subtitles: ok (5 languages, one from ASS, as mov_text tracks and HLS renditions; a file being written was left for the next run)"
