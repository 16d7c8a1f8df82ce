#!/usr/bin/env bash
# Also: audio fades where the clip cuts the recording.
# Burn-in follows the same timeline as the soft subtitles: for every frame of
# a burned rendition, the subtitle band differs from the clean rendition
# exactly while a cue of the WebVTT sidecar is active (the band's largest
# luma difference: about 210 where white text is drawn, under 70 elsewhere). Measured with
# ffprobe's lavfi input (an outside reference), never the ffmpeg program.
# Usage: test-burn-in.sh CLIPLINE FIXTURES REPO
set -euo pipefail
clipline=$1 fixtures=$2 repo=$3
work=$(mktemp -d "${TMPDIR:-/tmp}/clipline-burn-XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "burn-in: FAIL: $*" >&2; exit 1; }
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
  ffprobe -v error -f lavfi -i "movie=$burned[a];movie=$d/part-1.web-720p.mp4[b];[a][b]blend=all_mode=difference,crop=iw:ih/4:0:ih*3/4,signalstats" \
    -show_entries frame=pts_time:frame_tags=lavfi.signalstats.YMAX -of csv=p=0 | grep . > "diff-$lang.csv"
  [ "$(wc -l < "diff-$lang.csv")" -eq 60 ] || fail "$lang: $(wc -l < "diff-$lang.csv") frames compared, want 60"
  # cue times of the sidecar, in seconds
  grep -- '-->' "$d/part-1.$lang.vtt" | awk '{ split($1, a, ":"); split($3, b, ":");
      print a[1]*3600 + a[2]*60 + a[3], b[1]*3600 + b[2]*60 + b[3] }' > "cues-$lang.txt"
  [ -s "cues-$lang.txt" ] || fail "$lang: the sidecar has no cues"
  awk -v lang="$lang" 'NR == FNR { s[NR] = $1; e[NR] = $2; n = NR; next }
    { split($0, f, ","); t = f[1]; y = f[2]; active = 0; edge = 0
      for (i = 1; i <= n; i++) {
        if (t >= s[i] && t < e[i]) active = 1
        if ((t - s[i])^2 < (1.5/30)^2 || (t - e[i])^2 < (1.5/30)^2) edge = 1 }
      if (edge) next
      if (active && y < 150) { print lang ": no burned text at " t " s while a cue is active (" y ")"; bad = 1 }
      if (!active && y > 120) { print lang ": burned text at " t " s with no cue active (" y ")"; bad = 1 }
      checked++ }
    END { if (checked < 40) { print lang ": only " checked " frames checked"; bad = 1 }; exit bad }' \
    "cues-$lang.txt" "diff-$lang.csv" || fail "$lang: burned and soft subtitles disagree"
done
# the clip cuts a steady tone at 1 s and 3 s: short fades at both cuts (no clicks)
clean=$d/part-1.web-720p.mp4
peak() { ffprobe -v error -f lavfi -i "amovie=$clean,atrim=$1,astats=metadata=1:reset=0" \
           -show_entries frame_tags=lavfi.astats.Overall.Peak_level -of csv=p=0 | grep . | tail -1; }
a=$(peak 0:0.004) m=$(peak 1:1.004) z=$(peak 1.996:2)
awk -v a="$a" -v m="$m" -v z="$z" 'BEGIN { exit !(a < m - 8 && z < m - 8) }' \
  || fail "no fades at the cuts: first 4 ms $a dB, middle $m dB, last 4 ms $z dB"
echo "burn-in: ok (en, ar: burned text exactly while the sidecar's cues are active)"
