#!/usr/bin/env bash
# Paths (issue: reliability and security): nothing is written outside the
# destination but the translators' reports beside their subtitle files.
# 1. Interview ids and clip names that would leave the destination or take
#    its own names ("..", "/abs", "a/b", ".hidden", manifest.json, ...) are
#    configuration errors: exit 2, nothing run, no destination made.
# 2. One batch: recordings outside the job's folder (absolute, "../",
#    through a symlink), a symlinked subtitle folder and subtitle file, a
#    report name planted as a symlink to a file elsewhere, a pipe and a
#    device as recording and as subtitles (a clear error, no hang), names
#    with spaces in Georgian, Arabic and Chinese (recording, interview,
#    clip, subtitle folder and file) and one with HTML's special characters.
#    Every file outside the destination is as it was, but the new reports.
# Usage: test-paths.sh CLIPLINE FIXTURES REPO
set -uo pipefail
clipline=$1 fixtures=$2 repo=$3
work=$(mktemp -d "${TMPDIR:-/tmp}/clipline-paths-XXXXXX")
trap 'rm -rf "$work"' EXIT
fails=0
fail() { echo "paths: FAIL: $*" >&2; fails=$((fails + 1)); }
export CLIPLINE_PRESETS=$repo/presets CLIPLINE_CACHE_DIR=$work/cache
cd "$work" || exit 1
have_ffprobe=$(command -v ffprobe || true)

# run LOG ARGS...: clipline with a time limit (a hang fails, it does not block)
run() {
  local log=$1; shift
  timeout 120 "$clipline" "$@" 2> "$log"
  local rc=$?
  [ $rc -eq 124 ] && fail "clipline $* hung (killed after 120 s)"
  [ $rc -gt 128 ] && fail "clipline $* crashed (signal $((rc - 128)))"
  return $rc
}

# ---- 1. names that would leave the destination ----
mkdir job
cp "$fixtures/hostile/good.mp4" job/good.mp4
bad_ids=('..' '../escape' '/tmp/abs' 'a/b' 'a\\b' '.' '.hidden' '.clipline-staging' '.clipline-parts'
         'manifest.json' 'INDEX.HTML' '' 'tab\there')
for id in "${bad_ids[@]}"; do
  printf '{ "destination": "out-bad", "presets": ["web-360p"], "interviews": [ { "id": "%s", "source": "good.mp4" } ] }\n' "$id" > job/bad.json
  run bad.log run job/bad.json
  rc=$?
  [ $rc -eq 2 ] || fail "interview id \"$id\": exit $rc, want 2"
  grep -q 'error: job/bad.json:1: interview id ".*" cannot be used as a folder name' bad.log || fail "interview id \"$id\": $(cat bad.log)"
  [ ! -e job/out-bad ] || { fail "interview id \"$id\": a destination was made"; rm -rf job/out-bad; }
done
for name in '..' '../up' '/tmp/abs' 'x/y' '.clip' ''; do
  printf '{ "destination": "out-bad", "presets": ["web-360p"], "interviews": [ { "id": "i", "source": "good.mp4", "clips": [ { "name": "%s" } ] } ] }\n' "$name" > job/bad.json
  run bad.log run job/bad.json
  rc=$?
  [ $rc -eq 2 ] || fail "clip name \"$name\": exit $rc, want 2"
  grep -q 'error: job/bad.json:1: clip name ".*" cannot be used as a file name' bad.log || fail "clip name \"$name\": $(cat bad.log)"
  [ ! -e job/out-bad ] || { fail "clip name \"$name\": a destination was made"; rm -rf job/out-bad; }
done
rm job/bad.json
echo "paths: ${#bad_ids[@]} interview ids and 6 clip names refused before anything ran"

# ---- 2. one batch ----
mkdir -p job/media job/subs job/fifo-subs elsewhere/subs-outside "job/სუბტიტრები" "job/ترجمة" "job/字幕"
cp "$fixtures/hostile/good.mp4" elsewhere/real.mp4
ln -s ../../elsewhere/real.mp4 job/media/link.mp4
cp "$fixtures/hostile/good.mp4" "job/media/ინტერვიუ ერთი.mp4"
cp "$fixtures/hostile/good.mp4" "job/media/مقابلة مع خبير.mov"
cp "$fixtures/hostile/good.mkv" "job/media/采访 三.mkv"
mkfifo job/media/pipe.mp4
ln -s /dev/zero job/media/zero.mp4
srt() { printf '1\n00:00:00,500 --> 00:00:01,500\n%s\n' "$2" > "$1"; }
srt elsewhere/subs-outside/ka.srt "ალტერნატივები"
ln -s ../elsewhere/subs-outside job/subs-link
srt elsewhere/en.srt "Alternatives to detention"
ln -s ../../elsewhere/en.srt job/subs/en.srt
srt job/subs/fr.srt "Des alternatives"
echo "not for clipline" > elsewhere/victim.txt
ln -s ../../elsewhere/victim.txt job/subs/fr.srt.report.txt # where fr.srt's report goes
mkfifo job/fifo-subs/fr.srt
ln -s /dev/zero job/fifo-subs/en.srt
srt "job/სუბტიტრები/ka.srt" "ალტერნატივები დაკავებას"
srt "job/ترجمة/ar.srt" "بدائل الاحتجاز"
srt "job/字幕/采访 片段.zh-Hans.srt" "拘留的替代方案"
cat > job/job.json <<JOB
{ "destination": "out", "presets": ["web-360p"],
  "interviews": [
    { "id": "absolute", "source": "$work/elsewhere/real.mp4" },
    { "id": "up", "source": "../elsewhere/real.mp4" },
    { "id": "link", "source": "media/link.mp4" },
    { "id": "linked-subs", "source": "media/link.mp4", "subtitles": "subs-link" },
    { "id": "subs", "source": "media/link.mp4", "subtitles": "subs" },
    { "id": "fifo-subs", "source": "media/link.mp4", "subtitles": "fifo-subs" },
    { "id": "pipe", "source": "media/pipe.mp4" },
    { "id": "zero", "source": "media/zero.mp4" },
    { "id": "ინტერვიუ ერთი", "source": "media/ინტერვიუ ერთი.mp4", "subtitles": "სუბტიტრები",
      "clips": [ { "name": "ნაწილი 1", "in": 0.5, "out": 2.5 } ] },
    { "id": "مقابلة", "source": "media/مقابلة مع خبير.mov", "subtitles": "ترجمة" },
    { "id": "采访 三", "source": "media/采访 三.mkv", "subtitles": "字幕", "clips": [ { "name": "采访 片段", "duration": 2 } ] },
    { "id": "a<b>&c", "source": "media/采访 三.mkv", "clips": [ { "name": "x\"y'z", "duration": 1 } ] } ] }
JOB
# the job's folder but the destination, and the folder elsewhere: each entry's
# type and path, and each regular file's SHA-256
snapshot() {
  find job elsewhere -path job/out -prune -o -printf '%y %p\n' | sort > "$1"
  find job elsewhere -path job/out -prune -o -type f -exec sha256sum {} + | sort >> "$1"
}
snapshot snap-before
run batch.log run job/job.json --report report.json
rc=$?
snapshot snap-after
[ $rc -eq 1 ] || fail "the batch exited $rc, want 1 (3 items failed)"
grep -q "clipline: 12 items: 9 ok, 3 failed" batch.log || fail "the batch's summary: $(tail -1 batch.log)"
python3 - report.json > report.tsv <<'PY' || fail "report.json cannot be read"
import json, sys
for it in json.load(open(sys.argv[1]))['items']:
    print(it['interview'], it['clip'], it['status'], (it.get('error') or {}).get('message', ''), sep='\t')
PY
python3 - job/out/manifest.json > listed.tsv <<'PY' || fail "manifest.json cannot be read"
import json, sys
for o in json.load(open(sys.argv[1]))['outputs']:
    print(o['path'])
PY
status() { awk -F'\t' -v id="$1" '$1 == id { print $3 "\t" $4 }' report.tsv; }
for f in "fifo-subs|/fifo-subs/|: not a file (a pipe, a device or a folder); subtitles are read from files" \
         "pipe|media/pipe.mp4|: not a file (a pipe or a device); recordings are read from files" \
         "zero|media/zero.mp4|: not a file (a pipe or a device); recordings are read from files"; do
  IFS='|' read -r id file says <<< "$f"
  got=$(status "$id")
  [[ $got == failed$'\t'*"$file"*"$says"* ]] || fail "$id: $got"
  grep -F "$says" batch.log | grep -qF "$file" || fail "$id: stderr does not say \"$says\""
  [ ! -e "job/out/$id" ] && [ -z "$(awk -v p="$id/" 'index($0, p) == 1' listed.tsv)" ] || fail "$id: failed, yet something was published"
  echo "paths: $id: ${got#failed$'\t'}"
done
# the clips built: interview|clip|languages of their sidecars|a line of the subtitles
built=("absolute|absolute||" "up|up||" "link|link||" "linked-subs|linked-subs|ka|ალტერნატივები"
       "subs|subs|en fr|Alternatives to detention" "ინტერვიუ ერთი|ნაწილი 1|ka|ალტერნატივები დაკავებას"
       "مقابلة|مقابلة|ar|بدائل الاحتجاز" "采访 三|采访 片段|zh-Hans|拘留的替代方案" "a<b>&c|x\"y'z||")
for b in "${built[@]}"; do
  IFS='|' read -r id clip langs line <<< "$b"
  dir="job/out/$id/$clip"
  [ "$(status "$id" | cut -f1)" = ok ] || fail "$id: $(status "$id")"
  want=$( { echo "$id/$clip/$clip.web-360p.mp4"; echo "$id/$clip/$clip.poster.jpg"
           for l in $langs; do echo "$id/$clip/$clip.$l.vtt"; done; } | sort)
  got=$(awk -v p="$id/$clip/" 'index($0, p) == 1' listed.tsv | sort)
  [ "$got" = "$want" ] || fail "$id: manifest.json lists $(tr '\n' ' ' <<< "$got")"
  [ "$( (cd job/out && find "$id" -type f ! -name manifest.json) | sort)" = "$want" ] || fail "$id: the files are $(find "$dir" -type f)"
  [ -z "$langs" ] || grep -qF "$line" "$dir/$clip.${langs%% *}.vtt" || fail "$id: the sidecar lacks \"$line\""
  if [ -n "$have_ffprobe" ] && [ -n "$langs" ]; then
    n=$(ffprobe -v error -select_streams s -show_entries stream=index -of csv=p=0 "$dir/$clip.web-360p.mp4" | wc -l)
    [ "$n" = "$(wc -w <<< "$langs")" ] || fail "$id: $n soft subtitle tracks, want $(wc -w <<< "$langs")"
  fi
  grep -qF "$( sed 's/&/\&amp;/g; s/</\&lt;/g; s/>/\&gt;/g; s/"/\&quot;/g' <<< "$id")" job/out/index.html || fail "$id: not on the review page"
done
grep -qF '<b>&c' job/out/index.html && fail "the review page carries an id's markup unescaped"
[ "$(ls -A job/out | sort | tr '\n' ' ')" = "$(printf '%s\n' absolute index.html link linked-subs manifest.json subs up \
   'ინტერვიუ ერთი' 'مقابلة' '采访 三' 'a<b>&c' | sort | tr '\n' ' ')" ] || fail "the destination holds $(ls -A job/out | tr '\n' ' ')"
[ -z "$(find job/out -type l)" ] || fail "symlinks at the destination: $(find job/out -type l)"
# outside the destination: the reports beside the subtitle files, and nothing else
# (fr.srt's planted report symlink replaced by a file; the file it pointed to untouched)
diff <(grep -v '^[0-9a-f]\{64\} ' snap-before) <(grep -v '^[0-9a-f]\{64\} ' snap-after) | grep '^[<>]' > outside.diff
cat > outside.want <<'WANT'
< l job/subs/fr.srt.report.txt
> f elsewhere/subs-outside/ka.srt.report.txt
> f job/subs/en.srt.report.txt
> f job/subs/fr.srt.report.txt
> f job/ترجمة/ar.srt.report.txt
> f job/სუბტიტრები/ka.srt.report.txt
> f job/字幕/采访 片段.zh-Hans.srt.report.txt
WANT
diff <(sort outside.want) <(sort outside.diff) >&2 || fail "outside the destination, other files changed than the reports"
diff <(grep '^[0-9a-f]\{64\} ' snap-before) <(grep '^[0-9a-f]\{64\} ' snap-after | grep -v '\.report\.txt$') >&2 \
  || fail "files outside the destination changed"
[ "$(cat elsewhere/victim.txt)" = "not for clipline" ] || fail "the file a planted report symlink pointed to was written"
grep -q "Report for fr.srt" job/subs/fr.srt.report.txt || fail "fr.srt's report is not beside it"
# the drop folder with a pipe and a device, checked by itself: no hang either
timeout 60 "$clipline" subs check job/fifo-subs > check.out 2>&1
rc=$?
[ $rc -eq 1 ] && [ "$(grep -c 'not a file (a pipe, a device or a folder)' check.out)" = 2 ] || fail "subs check of pipes: exit $rc: $(cat check.out)"

[ $fails -eq 0 ] || { echo "--- batch" >&2; grep -v "^clipline: build" batch.log >&2; exit 1; }
echo "paths: ok (9 clips built from recordings and subtitles outside the job's folder, through symlinks and" \
     "in three scripts; a pipe and a device refused; nothing written outside the destination but the reports)"
