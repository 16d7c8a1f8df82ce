#!/usr/bin/env bash
# clipline upload FOLDER s3://...: a batch built into a local folder (two
# clips, MP4 + a 2-rung HLS ladder + subtitles) sent to s3rver on 127.0.0.1
# behind the SigV4-checking proxy.
#   test-s3-upload.sh CLIPLINE MKMEDIA S3_TEST_SERVER SIGV4_PROXY_JS REPO
# Checks: every file lands byte for byte; the proxy's log shows the publish
# order (per clip: media and segments, then media playlists, then the master
# playlist, then the clip's manifest; the destination's manifest.json, then
# index.html, last); a second upload sends nothing (HEADs only); a local file
# whose bytes no longer match manifest.json is not sent, its clip's later
# files are held back, the destination's manifest is not sent, the other clip
# lands whole, exit 1; a large file whose every part fails ends in a clear
# error and an aborted multipart upload while the other clip lands (exit 75);
# upload progress events (phase "upload") give bytes done, rate and ETA while
# a multipart upload goes; a destination refusing every PUT gives exit 75.
set -euo pipefail
clipline=$1 mkmedia=$2 server=$3 proxy_js=$4 repo=$5
work=$(mktemp -d "${TMPDIR:-/tmp}/clipline-s3-upload-XXXXXX")
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cleanup() {
  s3_stop
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
# shellcheck source=../cli/lib.sh
. "$repo/tests/cli/lib.sh"

s3_clean_env
export CLIPLINE_CACHE_DIR="$work/cache"
presets_with_ladder "$work/presets" "$repo" web-360p web-480p || fail "presets"
export CLIPLINE_PRESETS="$work/presets"

"$mkmedia" "$work/cam.mov" --duration 4 --video "testsrc2=size=854x480:rate=25" \
  --audio "sine=frequency=440:sample_rate=48000" --vopt preset=ultrafast --quiet
mkdir -p "$work/subs"
printf '1\n00:00:00,200 --> 00:00:01,200\nAlternatives to detention.\n' >"$work/subs/en.srt"
cat >"$work/job.json" <<'JOB'
{ "destination": "local", "presets": ["web-360p", "hls"],
  "interviews": [ { "id": "expert-01", "source": "cam.mov", "subtitles": "subs",
    "clips": [ { "name": "a", "in": "0", "out": "2" }, { "name": "b", "in": "2", "out": "4" } ] } ] }
JOB
timeout 240 "$clipline" run -q "$work/job.json" || fail "the local run failed"
local_dir="$work/local"
[ -f "$local_dir/expert-01/a/hls/master.m3u8" ] || fail "no HLS ladder in the local run"

s3_server clips
start_proxy() { # NAME [options]: the client goes through it from now on
  s3_proxy "$@"
  export AWS_ENDPOINT_URL=$proxy_url
}

echo "== upload, then the same again =="
start_proxy up1
CLIPLINE_CHECK_LEAKS=1 timeout 120 "$clipline" upload -j 3 "$local_dir" s3://clips/site 2>"$work/up1.err" ||
  { cat "$work/up1.err"; fail "the upload failed (or left descriptors or threads behind)"; }
tail -1 "$work/up1.err"
n=0
while IFS= read -r f; do
  cmp -s "$local_dir/$f" "$data/site/$f._S3rver_object" || fail "$f did not land byte for byte"
  n=$((n + 1))
done < <(cd "$local_dir" && find . -type f ! -path './.*' -printf '%P\n')
echo "landed: $n files byte for byte"
[ "$n" -ge 20 ] || fail "only $n files in the local folder"
grep -q ' 403' "$work/up1.log" && fail "a request was refused"
# the order of the objects' arrivals (a PUT's 200, or the POST completing a multipart upload)
sed -n 's/^\(PUT\|POST\) \/clips\/site\/\([^?]*\)\(?uploadId=[^ ]*\)\{0,1\} 200$/\2/p' "$work/up1.log" |
  grep -v 'partNumber' >"$work/order.txt"
last_of() { grep -n "$1" "$work/order.txt" | tail -1 | cut -d: -f1; }
first_of() { grep -n "$1" "$work/order.txt" | head -1 | cut -d: -f1; }
for c in a b; do
  m=$(last_of "^expert-01/$c/.*\.\(mp4\|m4s\|jpg\|vtt\)$")
  pl=$(first_of "^expert-01/$c/hls/.*[^r]\.m3u8$")
  pl_last=$(last_of "^expert-01/$c/hls/.*[^r]\.m3u8$")
  ma=$(first_of "^expert-01/$c/hls/master\.m3u8$")
  cm=$(first_of "^expert-01/$c/manifest\.json$")
  [ -n "$m" ] && [ -n "$pl" ] && [ -n "$ma" ] && [ -n "$cm" ] || fail "clip $c: some kind of file never arrived"
  [ "$m" -lt "$pl" ] && [ "$pl_last" -lt "$ma" ] && [ "$ma" -lt "$cm" ] ||
    fail "clip $c: not in publish order (media $m, playlists $pl-$pl_last, master $ma, manifest $cm)"
done
[ "$(tail -2 "$work/order.txt" | tr '\n' ' ')" = "manifest.json index.html " ] ||
  fail "the destination's manifest, then its page, did not arrive last: $(tail -3 "$work/order.txt")"
grep -c . "$work/order.txt" >/dev/null

start_proxy up2
timeout 120 "$clipline" upload "$local_dir" s3://clips/site 2>"$work/up2.err" || fail "the second upload failed"
grep -Eq '^(PUT|POST) ' "$work/up2.log" && fail "the second upload sent something: $(grep -E '^(PUT|POST) ' "$work/up2.log" | head -3)"
grep -q "($n already there)" "$work/up2.err" || fail "the second upload did not find all $n there: $(tail -1 "$work/up2.err")"

echo "== a local file that no longer matches manifest.json =="
seg=$(cd "$local_dir" && find expert-01/a/hls -name '*.m4s' | sort | head -1)
[ -n "$seg" ] || fail "no segment in clip a's ladder"
cp "$local_dir/$seg" "$work/seg.orig"
printf 'X' | dd of="$local_dir/$seg" bs=1 seek=100 conv=notrunc 2>/dev/null
start_proxy up3
rc=0
timeout 120 "$clipline" upload "$local_dir" s3://clips/site2 2>"$work/up3.err" || rc=$?
[ "$rc" -eq 1 ] || fail "a corrupt local file gave exit $rc, want 1"
grep -q "$seg: its bytes no longer match" "$work/up3.err" || fail "the error does not name the file: $(cat "$work/up3.err")"
[ -f "$data/site2/$seg._S3rver_object" ] && fail "the corrupt segment was sent"
[ -f "$data/site2/expert-01/a/hls/master.m3u8._S3rver_object" ] && fail "clip a's master playlist was sent"
[ -f "$data/site2/expert-01/a/manifest.json._S3rver_object" ] && fail "clip a's manifest was sent"
[ -f "$data/site2/manifest.json._S3rver_object" ] && fail "the destination's manifest was sent"
[ -f "$data/site2/expert-01/b/manifest.json._S3rver_object" ] || fail "clip b did not land"
[ -f "$data/site2/expert-01/b/hls/master.m3u8._S3rver_object" ] || fail "clip b's master playlist did not land"
tail -1 "$work/up3.err"
cp "$work/seg.orig" "$local_dir/$seg"

echo "== one large file whose parts keep failing: aborted, the rest goes on =="
head -c $((12 * 1048576)) /dev/urandom >"$local_dir/expert-01/b/extra.bin"
start_proxy failkey --fail-key expert-01/b/extra.bin
rc=0
CLIPLINE_S3_MULTIPART_THRESHOLD=5242880 CLIPLINE_S3_PART_SIZE=5242880 CLIPLINE_S3_MAX_ATTEMPTS=2 \
  CLIPLINE_CHECK_LEAKS=1 timeout 120 "$clipline" upload "$local_dir" s3://clips/site4 2>"$work/up5.err" || rc=$?
[ "$rc" -eq 75 ] || fail "a failing large file gave exit $rc, want 75"
grep -q 'extra.bin.*HTTP 500' "$work/up5.err" || fail "the error does not name the file and the cause: $(grep error "$work/up5.err")"
grep -q '^DELETE /clips/site4/expert-01/b/extra.bin?uploadId=.* 204$' "$work/failkey.log" ||
  fail "the failed multipart upload was not aborted: $(grep extra.bin "$work/failkey.log" | head; grep -i "extra\|error" "$work/up5.err" | head -5)"
[ "$(find "$data/._S3rver_uploads" -name '*.md5' 2>/dev/null | wc -l)" -eq 0 ] || fail "parts left on the server"
[ -f "$data/site4/expert-01/a/manifest.json._S3rver_object" ] || fail "clip a did not land"
[ -f "$data/site4/expert-01/b/manifest.json._S3rver_object" ] && fail "clip b's manifest was sent"
[ -f "$data/site4/manifest.json._S3rver_object" ] && fail "the destination's manifest was sent"
rm "$local_dir/expert-01/b/extra.bin"

echo "== upload progress: bytes, rate and ETA as the parts go =="
mkdir -p "$work/big/talk/one"
head -c $((20 * 1048576)) /dev/urandom >"$work/big/talk/one/one.web-1080p.mp4"
start_proxy slow --delay-parts 1500
CLIPLINE_S3_MULTIPART_THRESHOLD=5242880 CLIPLINE_S3_PART_SIZE=5242880 CLIPLINE_S3_PARALLEL=2 \
  timeout 120 "$clipline" upload --progress json "$work/big" s3://clips/big >"$work/progress.ndjson" 2>"$work/big.err" ||
  { cat "$work/big.err"; fail "the progress upload failed"; }
python3 - "$work/progress.ndjson" <<'PY' || fail "upload progress events are wrong"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
up = [e for e in ev if e.get("phase") == "upload" and e.get("output") == "talk/one/one.web-1080p.mp4"]
total = 20 * 1048576
assert len(up) >= 3, f"{len(up)} upload events, want 3 or more"
assert all(e.get("item") == "talk/one" and e.get("bytes") == total for e in up), "item or bytes missing"
done = [e["bytes_done"] for e in up]
assert done == sorted(done), f"bytes_done goes back: {done}"
assert done[-1] == total and up[-1]["percent"] == 100, f"the last event is not complete: {up[-1]}"
mid = [e for e in up if 0 < e["bytes_done"] < total]
assert mid, "no event while the parts were going"
assert all(e.get("bytes_per_s", 0) > 0 and e.get("eta_s", -1) >= 0 for e in mid), f"no rate or ETA: {mid[0]}"
print(f"upload progress: {len(up)} events, {len(mid)} midway, e.g. {mid[0]['percent']:.0f}% "
      f"{mid[0]['bytes_per_s'] / 1048576:.1f} MiB/s ETA {mid[0]['eta_s']:.1f} s")
PY

echo "== a destination that refuses every PUT =="
start_proxy refuse --fail-puts 10000
rc=0
CLIPLINE_S3_MAX_ATTEMPTS=2 timeout 120 "$clipline" upload "$local_dir" s3://clips/site3 2>"$work/up4.err" || rc=$?
[ "$rc" -eq 75 ] || fail "a refusing destination gave exit $rc, want 75"
[ -f "$data/site3/manifest.json._S3rver_object" ] && fail "a manifest was sent to the refusing destination"
echo "OK"
