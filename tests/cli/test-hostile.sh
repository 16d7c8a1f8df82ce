#!/usr/bin/env bash
# Hostile and broken recordings (issue: reliability and security): clipline
# never crashes, hangs, loses a finished output or publishes a broken one.
#
# 1. One batch: an interview per case beside good ones. Each bad case fails
#    its item (exit 1 for the run); stderr and the JSON report name the item
#    with a clear reason; nothing of it is at the destination or listed in
#    its manifest.json: an empty file; an MP4 cut in the middle of its media
#    with its index (moov) at the front, and two without the index at the end
#    (cut in the media, cut just before it); random bytes named .mp4; sound
#    without a picture; 300 streams; pictures of 60000x60000 and 16000x16000
#    (Y4M headers) and a 16000x16000 PNG intro. The good ones, and the cases
#    that must work (a Matroska file named .mp4, an MP4 named .mov, a picture
#    without sound, damage the decoders conceal: 4 KiB over several packets,
#    64 bytes inside one picture), are built, verified, listed with their
#    SHA-256 and checked with ffprobe when there is one; the damaged ones say
#    in their manifest that damage was concealed, and where.
# 2. Recordings changed while they are read (added to, cut, touched with the
#    same bytes): the first two fail and publish nothing, the third is built;
#    the next run builds the one that is whole again.
# 3. A recording broken after its clip was published (unreadable, then cut
#    short): the item fails, the published clip stays, byte for byte, and
#    stays listed.
# Media: the small recordings of make-fixtures.sh (hostile/), cut, damaged
# and renamed here; nothing binary is committed.
# Usage: test-hostile.sh CLIPLINE FIXTURES REPO
set -uo pipefail
clipline=$1 fixtures=$2 repo=$3
work=$(mktemp -d "${TMPDIR:-/tmp}/clipline-hostile-XXXXXX")
trap 'rm -rf "$work"' EXIT
fails=0
fail() { echo "hostile: FAIL: $*" >&2; fails=$((fails + 1)); }
export CLIPLINE_PRESETS=$repo/presets CLIPLINE_CACHE_DIR=$work/cache
cd "$work" || exit 1
h=$fixtures/hostile
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

# ---- the media ----
# cut, damaged and made up from the fixtures in one go (python3 starts slowly
# on a busy machine): the MP4s' boxes are found by walking the top level
mkdir media
cp "$h/good.mp4" media/good.mp4
cp "$h/good.mkv" media/matroska.mp4
cp "$h/good.mp4" media/mp4.mov
cp "$fixtures/voice.m4a" media/voice.m4a
cp "$fixtures/silent.mp4" media/mute.mp4
cp "$h/streams.mkv" media/streams.mkv
: > media/empty.mp4
{ printf 'YUV4MPEG2 W60000 H60000 F25:1 Ip A1:1 C420jpeg\nFRAME\n'; head -c 65536 /dev/zero; } > media/huge60k.y4m
{ printf 'YUV4MPEG2 W16000 H16000 F25:1 Ip A1:1 C420jpeg\nFRAME\n'; head -c 65536 /dev/zero; } > media/huge16k.y4m
picture=""
if [ -n "$have_ffprobe" ]; then # the 19th picture's packet (a P-frame at 0.72 s): its size and position
  picture=$(ffprobe -v error -select_streams v -show_entries packet=size,pos -of csv=p=0 "$h/good.mp4" | sed -n 19p)
fi
python3 - "$h" "$picture" <<'PY' || fail "cannot make the media"
import random, struct, sys, zlib
h, picture = sys.argv[1], sys.argv[2]
def boxes(d):
    i, out = 0, {}
    while i + 8 <= len(d):
        size, kind = struct.unpack('>I4s', d[i:i + 8])
        out[kind.decode('latin1')] = i
        i += size if size >= 8 else len(d)
    return out
def noise(n, seed):
    r = random.Random(seed)
    return bytes(r.getrandbits(8) for _ in range(n))
def write(path, data):
    open(path, 'wb').write(data)
fast, good = open(h + '/faststart.mp4', 'rb').read(), open(h + '/good.mp4', 'rb').read()
fb, gb = boxes(fast), boxes(good)
if not fb['moov'] < fb['mdat'] or not gb['mdat'] < gb['moov']:
    sys.exit('the fixtures do not have their index (moov) where expected: %s %s' % (fb, gb))
write('media/cut-front.mp4', fast[:(fb['mdat'] + len(fast)) // 2])  # index at the front, cut in mdat
write('media/cut-end.mp4', good[:gb['moov'] // 2])                  # index at the end, half of mdat
write('media/cut-at-moov.mp4', good[:gb['moov']])                   # all of mdat, no index
write('media/random.mp4', noise(200000, 7))
# damage in the middle of mdat: 4 KiB over several packets (the decoders
# refuse them), and 64 bytes inside one picture (decoded, with errors)
at = gb['moov'] * 45 // 100
write('media/damaged.mp4', good[:at] + noise(4096, 3) + good[at + 4096:])
if picture:
    size, pos = map(int, picture.split(','))
    at = pos + size // 2
    write('media/damaged-picture.mp4', good[:at] + noise(64, 5) + good[at + 64:])
# a PNG header claiming 16000x16000 (768 MB as a picture), 16 rows of it (2 kB as a file)
def chunk(t, d):
    return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
z = zlib.compressobj(9)
rows = b''.join(z.compress(b'\0' * (1 + 3 * 16000)) for _ in range(16)) + z.flush()
write('media/huge.png', b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', 16000, 16000, 8, 2, 0, 0, 0))
      + chunk(b'IDAT', rows) + chunk(b'IEND', b''))
PY

# facts JSON.json > TSV: a report's or a manifest's items ("item", interview,
# status, the error's message) and outputs ("output", path, sha256)
facts() {
  python3 - "$1" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
for it in doc.get('items', []):
    print('item', it.get('interview'), it.get('status', ''), (it.get('error') or {}).get('message', ''), sep='\t')
for o in doc.get('outputs', []):
    print('output', o['path'], o.get('sha256', ''), sep='\t')
PY
}
# item_facts TSV ID: its status, then its error's message
item_facts() { awk -F'\t' -v id="$2" '$1 == "item" && $2 == id { print $3; print $4; exit }' "$1"; }
# listed TSV ID: the outputs listed under ID/: path and sha256, one a line
listed() { awk -F'\t' -v p="$2/" '$1 == "output" && index($2, p) == 1 { print $2, $3 }' "$1"; }

# ---- 1. one batch: every case beside good ones ----
# id|expected status|what stderr and the report say (fixed strings, ';'-separated)
cases=(
  "good|ok|"
  "empty|failed|media/empty.mp4: the file is empty (0 bytes)"
  "cut-front|failed|media/cut-front.mp4 ends at ;before the clip's end at 3.000 s: the file is cut short"
  "cut-end|failed|media/cut-end.mp4: not a media file FFmpeg can read (;moov atom not found"
  "cut-at-moov|failed|media/cut-at-moov.mp4: not a media file FFmpeg can read (;moov atom not found"
  "random|failed|media/random.mp4: not a media file FFmpeg can read ("
  "matroska-as-mp4|ok|"
  "mp4-as-mov|ok|"
  "audio-only|failed|media/voice.m4a has no video stream"
  "video-only|ok|"
  "streams|failed|media/streams.mkv: 301 streams (the limit is 64)"
  "huge-60k|failed|media/huge60k.y4m: not a media file FFmpeg can read (;Picture size 60000x60000 is invalid"
  "huge-16k|failed|media/huge16k.y4m: the picture is 16000x16000 (the limit is 16384 pixels a side, 67 megapixels in all)"
  "huge-intro|failed|huge-intro/huge-intro: the intro media/huge.png: has no picture that can be decoded (Picture size 16000x16000 exceeds specified max pixel count"
  "damaged|ok|"
)
[ -e media/damaged-picture.mp4 ] && cases+=("damaged-picture|ok|")
source_of() {
  case $1 in
    good|huge-intro) echo media/good.mp4 ;;
    matroska-as-mp4) echo media/matroska.mp4 ;;
    mp4-as-mov) echo media/mp4.mov ;;
    audio-only) echo media/voice.m4a ;;
    video-only) echo media/mute.mp4 ;;
    streams) echo media/streams.mkv ;;
    huge-60k) echo media/huge60k.y4m ;;
    huge-16k) echo media/huge16k.y4m ;;
    *) echo "media/$1.mp4" ;;
  esac
}
# (the clips of a recording cut short, and of the huge intro, have subtitles:
# their sidecars are not published either)
mkdir media/subs
printf '1\n00:00:00,500 --> 00:00:01,500\nAlternatives to detention.\n' > media/subs/en.srt
{
  echo '{ "destination": "out", "presets": ["web-360p"], "interviews": ['
  sep=""
  for c in "${cases[@]}"; do
    id=${c%%|*}
    if [ "$id" = huge-intro ]; then
      printf '%s{ "id": "%s", "source": "%s", "subtitles": "media/subs", "clips": [ { "name": "%s", "intro": "media/huge.png" } ] }\n' \
        "$sep" "$id" "$(source_of "$id")" "$id"
    elif [ "$id" = cut-front ]; then
      printf '%s{ "id": "%s", "source": "%s", "subtitles": "media/subs" }\n' "$sep" "$id" "$(source_of "$id")"
    else
      printf '%s{ "id": "%s", "source": "%s" }\n' "$sep" "$id" "$(source_of "$id")"
    fi
    sep=","
  done
  echo '] }'
} > job.json
t0=$(date +%s)
run batch.log run job.json --report report.json
rc=$?
[ $rc -eq 1 ] || fail "the batch exited $rc, want 1 (items failed)"
n_ok=$(printf '%s\n' "${cases[@]}" | grep -c '|ok|')
n_failed=$(( ${#cases[@]} - n_ok ))
grep -qF "clipline: ${#cases[@]} items: $n_ok ok, $n_failed failed" batch.log || fail "the batch's summary line"
[ ! -e out/.clipline-staging ] || fail "staging files left behind: $(ls out/.clipline-staging)"

facts report.json > report.tsv
facts out/manifest.json > manifest.tsv
for c in "${cases[@]}"; do
  IFS='|' read -r id want says <<< "$c"
  mapfile -t rep < <(item_facts report.tsv "$id")
  mapfile -t man < <(item_facts manifest.tsv "$id")
  [ "${rep[0]:-}" = "$want" ] || fail "$id: the report says ${rep[0]:-nothing}, want $want (${rep[1]:-})"
  [ "${man[0]:-}" = "$want" ] || fail "$id: manifest.json says ${man[0]:-nothing}, want $want"
  if [ "$want" = failed ]; then
    IFS=';' read -ra parts <<< "$says"
    for s in "${parts[@]}"; do
      grep -F -- "$s" batch.log | grep -qF "error: " || fail "$id: stderr has no error saying \"$s\""
      [[ ${rep[1]:-} == *"$s"* ]] || fail "$id: the report's message \"${rep[1]:-}\" lacks \"$s\""
      [[ ${man[1]:-} == *"$s"* ]] || fail "$id: manifest.json's message \"${man[1]:-}\" lacks \"$s\""
    done
    [ ! -e "out/$id" ] || fail "$id: failed, yet at the destination: $(find "out/$id" -type f)"
    [ -z "$(listed manifest.tsv "$id")" ] || fail "$id: failed, yet manifest.json lists $(listed manifest.tsv "$id")"
    echo "hostile: $id: failed as it should: ${rep[1]:-}"
    continue
  fi
  mp4=out/$id/$id/$id.web-360p.mp4
  [ -s "$mp4" ] && [ -s "out/$id/$id/$id.poster.jpg" ] || { fail "$id: not built"; continue; }
  [ "$(listed manifest.tsv "$id" | wc -l)" = 2 ] || fail "$id: manifest.json does not list its video and poster"
  listed manifest.tsv "$id" | while read -r path sha; do
    [ "$(sha256sum "out/$path" | cut -d' ' -f1)" = "$sha" ] || echo "out/$path"
  done | grep . && fail "$id: manifest.json's SHA-256 does not match the file"
  if [ -n "$have_ffprobe" ]; then
    streams=$(ffprobe -v error -show_entries stream=codec_name -of csv=p=0 "$mp4" | tr '\n' ' ')
    [ "$streams" = "h264 aac " ] || fail "$id: streams $streams, want h264 and aac"
    d=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$mp4")
    sd=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$(source_of "$id")")
    awk -v d="$d" -v s="$sd" 'BEGIN { e = d - s; if (e < 0) e = -e; exit !(e <= 0.1) }' || fail "$id: lasts $d s, the recording $sd s"
    ffprobe -v error -show_frames "$mp4" 2>&1 > /dev/null | grep . && fail "$id: the output does not decode cleanly"
  fi
  echo "hostile: $id: built and verified ($(stat -c %s "$mp4") bytes)"
done
fixes() { tr -d '\n' < "out/$1/$1/manifest.json" | grep -o '"source_fixes": \[[^]]*\]'; }
fixes video-only | grep -q "no audio in the source: silent track added" || fail "video-only: no silent track said: $(fixes video-only)"
for id in damaged damaged-picture; do
  [ -e "out/$id" ] || continue
  fixes "$id" | grep -Eq '"damaged recording: [0-9]+ packets? or frames? could not be decoded \(the first near [0-9.]+ s\); concealed"' \
    || fail "$id: its manifest does not say the damage was concealed: $(fixes "$id")"
  grep -q "warning: $id/$id: media/$id.mp4 is damaged: .* could not be decoded .*; the clip conceals the damage" batch.log \
    || fail "$id: no warning that the damage was concealed"
  echo "hostile: $id: $(fixes "$id" | grep -o 'damaged recording: [^"]*')"
done
if [ -e media/damaged-picture.mp4 ]; then
  grep -q "warning: damaged-picture/damaged-picture: media/damaged-picture.mp4: damaged video data near 0.720 s" batch.log \
    || fail "damaged-picture: the damage is not placed at 0.720 s"
fi
echo "hostile: batch of ${#cases[@]} in $(( $(date +%s) - t0 )) s"

# ---- 2. recordings that change while they are read ----
for id in grow shrink touch; do cp "$h/long.mp4" "media/$id.mp4"; done
cat > job-change.json <<'JOB'
{ "destination": "out-change", "presets": ["web-360p"],
  "interviews": [ { "id": "grow", "source": "media/grow.mp4", "subtitles": "media/subs" },
                  { "id": "shrink", "source": "media/shrink.mp4", "subtitles": "media/subs" },
                  { "id": "touch", "source": "media/touch.mp4" }, { "id": "good", "source": "media/good.mp4" } ] }
JOB
# while an item encodes (its staging file exists), its recording is added
# to (an empty "free" box: still a whole file), cut to half, or touched
(
  for id in grow shrink touch; do
    for _ in $(seq 1 1200); do
      compgen -G "out-change/.clipline-staging/*-$id.web-360p.mp4.part" > /dev/null && break
      sleep 0.05
    done
    compgen -G "out-change/.clipline-staging/*-$id.web-360p.mp4.part" > /dev/null || { echo "missed $id" >> missed; continue; }
    case $id in
      grow) printf '\0\0\0\010free' >> media/grow.mp4 ;;
      shrink) truncate -s $(( $(stat -c %s media/shrink.mp4) / 2 )) media/shrink.mp4 ;;
      touch) touch media/touch.mp4 ;;
    esac
  done
) &
changer=$!
run change.log run job-change.json --report report-change.json
rc=$?
kill "$changer" 2> /dev/null
wait "$changer" 2> /dev/null
[ ! -e missed ] || fail "the changes could not be made while encoding: $(cat missed)"
[ $rc -eq 1 ] || fail "changing recordings: exit $rc, want 1"
facts report-change.json > change.tsv
facts out-change/manifest.json > change-manifest.tsv
for id in grow shrink; do
  mapfile -t rep < <(item_facts change.tsv "$id")
  want="$id/$id: media/$id.mp4 changed (or was removed) while it was being read; nothing of the clip was published"
  [ "${rep[0]:-}" = failed ] && [[ ${rep[1]:-} == "$want"* ]] || fail "$id: ${rep[0]:-} (${rep[1]:-}), want failed ($want)"
  grep -qF "error: $want" change.log || fail "$id: stderr does not say it changed"
  [ ! -e "out-change/$id" ] && [ -z "$(listed change-manifest.tsv "$id")" ] || fail "$id: something was published"
  echo "hostile: $id: ${rep[1]:-}"
done
for id in touch good; do
  [ "$(item_facts change.tsv "$id" | head -1)" = ok ] && [ -s "out-change/$id/$id/$id.web-360p.mp4" ] || fail "$id: not built"
done
[ ! -e out-change/.clipline-staging ] || fail "changing recordings: staging files left behind"
# settled: the grown one is whole and built now; the cut one has lost its index
run change2.log run job-change.json --report report-change2.json
rc=$?
[ $rc -eq 1 ] || fail "after the changes: exit $rc, want 1"
facts report-change2.json > change2.tsv
[ "$(item_facts change2.tsv grow | head -1)" = ok ] && [ -s out-change/grow/grow/grow.web-360p.mp4 ] \
  && [ -s out-change/grow/grow/grow.en.vtt ] || fail "grow: not built once whole"
mapfile -t rep < <(item_facts change2.tsv shrink)
[[ ${rep[1]:-} == *"media/shrink.mp4: not a media file FFmpeg can read ("*"moov atom not found"* ]] || fail "shrink, settled: ${rep[1]:-}"
grep -q "clipline: 4 items: 3 ok, 1 failed; 3 outputs built, 4 up to date" change2.log || fail "after the changes: $(tail -1 change2.log)"
echo "hostile: changed while read: added to and cut fail, touched is built; added to is built once settled"

# ---- 3. a recording broken after its clip was published ----
cp "$h/good.mp4" media/kept.mp4
cat > job-kept.json <<'JOB'
{ "destination": "out-kept", "presets": ["web-360p"], "interviews": [ { "id": "kept", "source": "media/kept.mp4" } ] }
JOB
run kept1.log run job-kept.json || fail "kept: the first run failed: $(cat kept1.log)"
cp -r out-kept published
facts out-kept/manifest.json > kept.tsv
listed kept.tsv kept > listed-before
[ "$(wc -l < listed-before)" = 2 ] || fail "kept: manifest.json does not list the clip's video and poster"
for broken in random cut-front; do
  cp "media/$broken.mp4" media/kept.mp4
  run "kept-$broken.log" run job-kept.json --report "report-kept-$broken.json"
  rc=$?
  [ $rc -eq 1 ] || fail "kept, now $broken: exit $rc, want 1"
  facts "report-kept-$broken.json" > "kept-$broken.tsv"
  facts out-kept/manifest.json > kept.tsv
  mapfile -t rep < <(item_facts "kept-$broken.tsv" kept)
  [ "${rep[0]:-}" = failed ] || fail "kept, now $broken: ${rep[0]:-}"
  for f in kept/kept/kept.web-360p.mp4 kept/kept/kept.poster.jpg kept/kept/manifest.json; do
    cmp -s "published/$f" "out-kept/$f" || fail "kept, now $broken: $f was lost or changed"
  done
  listed kept.tsv kept | diff listed-before - > /dev/null || fail "kept, now $broken: manifest.json no longer lists the published clip"
  [ "$(item_facts kept.tsv kept | head -1)" = failed ] || fail "kept, now $broken: manifest.json does not say the item failed"
  echo "hostile: kept, recording now $broken: ${rep[1]:-}; the published clip stays"
done

[ $fails -eq 0 ] || { echo "--- batch" >&2; grep -v "^clipline: build" batch.log >&2; exit 1; }
echo "hostile: ok (${#cases[@]} recordings in one batch, 3 changed while read, 2 broken after publishing)"
