#!/usr/bin/env bash
# Only what changed is rebuilt, and the plan says why. A 10-clip batch (two
# presets, English soft and burned), then one change at a time; after each,
# the plan's reasons and the files the run touched are exactly the expected:
# - a no-op re-run builds nothing and touches no media nor the review page
#   (its time is printed; scripts/bench measures it);
# - a new fr.srt: the French sidecars, and the clean MP4s re-muxed with their
#   new soft track, video and audio packets unchanged ("new subtitle fr;
#   re-muxed"); nothing burned, no poster;
# - a typo fixed in en.srt: the English sidecars, the English burned variants
#   and the clean MP4s ("subtitle en changed"); nothing French;
# - the 480p preset's crf: only the 480p MP4s and HLS rung ("preset web-480p:
#   video.crf 23 -> 24", "rung web-480p: ...");
# - the recording: every picture, no sidecar ("source changed").
# Usage: test-rebuilds.sh CLIPLINE FIXTURES REPO
set -euo pipefail
clipline=$1 fixtures=$2 repo=$3
work=$(mktemp -d "${TMPDIR:-/tmp}/clipline-rebuilds-XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "rebuilds: FAIL: $*" >&2; exit 1; }
. "$(dirname "$0")/lib.sh"
cd "$work"
# a two-rung HLS ladder of the job's own presets
presets_with_ladder presets "$repo" web-480p web-360p || fail "cannot set the ladder's rungs"
export CLIPLINE_PRESETS=$work/presets CLIPLINE_CACHE_DIR=$work/cache
cp "$fixtures/cam.mov" cam.mov
mkdir subs
printf '1\n00:00:00,000 --> 00:00:04,000\nAlternatives to detention wrok.\n' > subs/en.srt
clips=""
for i in $(seq 0 9); do
  clips="$clips${clips:+,}{ \"name\": \"c$i\", \"in\": $(awk -v i="$i" 'BEGIN { print i * 0.4 }'), \"duration\": 0.4 }"
done
cat > job.json <<JOB
{ "destination": "out", "presets": ["web-360p", "web-480p", "hls"],
  "subtitles": { "burn_in": { "languages": ["en"], "presets": ["web-360p"] } },
  "interviews": [ { "id": "cam", "source": "cam.mov", "subtitles": "subs", "clips": [ $clips ] } ] }
JOB
"$clipline" run job.json 2> first.log || { cat first.log; fail "the first run failed"; }
[ "$(find out -name '*.mp4' ! -path '*/hls/*' | wc -l)" = 30 ] || fail "the first run did not build 30 MP4s"

# step NAME EXPECTED-REASON HLS FILE-SUFFIX...: plans and runs, then checks
# that every "build" line carries the reason, that the files the run wrote
# (manifests aside) outside hls/ are exactly c<N><suffix> for each clip, and
# that what it wrote under the clips' hls/ is HLS (the first name under hls/:
# master.m3u8, subs-<lang>, <rung>; sorted, space-separated)
step() {
  local name=$1 reason=$2 hls=$3; shift 3
  "$clipline" plan job.json 2> "plan-$name.log" || { cat "plan-$name.log"; fail "$name: plan failed"; }
  if [ -n "$reason" ]; then
    grep '^clipline: build' "plan-$name.log" | grep -vF "$reason" | grep -v '(new output)' \
      && fail "$name: outputs built for another reason than \"$reason\""
  fi
  touch stamp; sleep 0.05
  local t0 t1
  t0=$(date +%s.%N)
  "$clipline" run job.json 2> "run-$name.log" || { cat "run-$name.log"; fail "$name: run failed"; }
  t1=$(date +%s.%N)
  find out -type f -newer stamp ! -name '*.json' ! -name index.html ! -path '*/hls/*' | sed 's|.*/||' | sort > "touched-$name.txt"
  local got_hls
  got_hls=$(find out -type f -newer stamp -path '*/hls/*' | sed 's|.*/hls/||; s|/.*||' | sort -u | tr '\n' ' ' | sed 's/ $//')
  [ "$got_hls" = "$hls" ] || fail "$name: under hls/ the run wrote [$got_hls], want [$hls]"
  if [ -z "$reason" ] && [ out/index.html -nt stamp ]; then fail "$name: the review page was rewritten"; fi
  : > "want-$name.txt"
  local p i
  for p in "$@"; do for i in $(seq 0 9); do echo "c$i$p"; done; done | sort > "want-$name.txt"
  diff "want-$name.txt" "touched-$name.txt" > "diff-$name.txt" || { cat "plan-$name.log" "diff-$name.txt"; fail "$name: other files touched than expected"; }
  [ "$(grep -c '^clipline: build' "plan-$name.log" || true)" = "$(( $(wc -l < "want-$name.txt") + (${#hls} > 0 ? 10 : 0) ))" ] \
    || { cat "plan-$name.log"; fail "$name: the plan does not list exactly the files rebuilt"; }
  printf 'rebuilds: %-9s %3d files rebuilt in %.2f s\n' "$name" "$(wc -l < "want-$name.txt")" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')"
}

[ "$(find out -path '*/hls/web-*' -name '*.m4s' | wc -l)" -ge 20 ] || fail "the first run did not build the HLS rungs"
step no-op "" ""
grep -q 'clipline: 10 items: 10 ok, 0 failed; 0 outputs built, 60 up to date' run-no-op.log \
  || { cat run-no-op.log; fail "no-op: the summary"; }
# the clean MP4s get their new soft track by a re-mux: the same video and audio packets
packets() { ffprobe -v error -select_streams "$2" -show_data_hash sha256 \
              -show_entries packet=pts,dts,duration,flags,data_hash -of csv "$1" | sha256sum; }
have_ffprobe=$(command -v ffprobe || true)
[ -z "$have_ffprobe" ] || { packets out/cam/c3/c3.web-480p.mp4 v; packets out/cam/c3/c3.web-480p.mp4 a; } > packets-before.txt
printf '1\n00:00:00,000 --> 00:00:04,000\nDes alternatives à la détention.\n' > subs/fr.srt
step new-fr "new subtitle fr;" "master.m3u8 subs-en subs-fr" .fr.vtt .web-360p.mp4 .web-480p.mp4
[ "$(grep -c '^clipline: .*wrote .*(2 soft subtitle tracks; picture and sound copied)$' run-new-fr.log)" = 20 ] || { cat run-new-fr.log; fail "new-fr: the clean MP4s were not re-muxed"; }
if [ -n "$have_ffprobe" ]; then
  { packets out/cam/c3/c3.web-480p.mp4 v; packets out/cam/c3/c3.web-480p.mp4 a; } > packets-after.txt
  cmp -s packets-before.txt packets-after.txt || fail "new-fr: the re-mux changed the video or audio packets"
  [ "$(ffprobe -v error -select_streams s -show_entries stream_tags=language -of csv=p=0 out/cam/c3/c3.web-480p.mp4 | tr '\n' ' ')" = "eng fra " ] \
    || fail "new-fr: the re-muxed MP4 does not carry eng and fra soft tracks"
fi
printf '1\n00:00:00,000 --> 00:00:04,000\nAlternatives to detention work.\n' > subs/en.srt
step en-typo "subtitle en changed" "master.m3u8 subs-en subs-fr" .en.vtt .web-360p.burned-en.mp4 .web-360p.mp4 .web-480p.mp4
sed -i 's/"crf": 23/"crf": 24/' presets/web-480p.json
step crf-480p "web-480p: video.crf 23 -> 24" "master.m3u8 subs-en subs-fr web-480p" .web-480p.mp4
# the recording touched (or copied back) with the same bytes: hashed again, nothing rebuilt;
# a recording whose stat did not change is not read again
"$clipline" -v plan job.json 2> plan-cached.log || { cat plan-cached.log; fail "plan failed"; }
grep -q 'cam.mov: content hashed' plan-cached.log && { cat plan-cached.log; fail "an unchanged recording was hashed again"; }
touch -d '2001-01-01' cam.mov
"$clipline" -v plan job.json 2> plan-touched.log || { cat plan-touched.log; fail "plan failed"; }
grep -q 'cam.mov: content hashed' plan-touched.log || { cat plan-touched.log; fail "a touched recording was not hashed again"; }
grep -q '^clipline: build' plan-touched.log && { cat plan-touched.log; fail "a touched recording with the same bytes rebuilds outputs"; }
step touched "" ""
# other bytes (an empty "free" box after the last one: the same pictures and sound)
printf '\0\0\0\010free' >> cam.mov
step source "source changed" "master.m3u8 subs-en subs-fr web-360p web-480p" .web-360p.mp4 .web-480p.mp4 .web-360p.burned-en.mp4 .poster.jpg
step no-op-2 "" ""
echo "rebuilds: ok (no-op, new language, subtitle fix, preset change, touched source, new source bytes: exactly the affected outputs)"
