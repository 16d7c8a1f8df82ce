#!/usr/bin/env bash
# A batch through `clipline run --dest s3://...` against s3rver on 127.0.0.1
# behind the SigV4-checking proxy: every output listed in the destination's
# manifest.json lands in the bucket with the bytes and sha256 the manifest
# records, and a second run sends no media again (no PUT of an .mp4 in the
# proxy's log); a third, after a French subtitle file is added, downloads the
# clean MP4 (GET) and sends it back re-muxed with its new soft track, picture
# and sound copied, nothing re-encoded. Then, into a new prefix through a proxy
# that refuses the first PUT (503) with one attempt per request: the item
# fails on the destination, is tried again and completes (exit 0).
#   test-s3-batch.sh CLIPLINE MKMEDIA S3_TEST_SERVER SIGV4_PROXY_JS PRESETS_DIR
set -euo pipefail
clipline=$1 mkmedia=$2 server=$3 proxy_js=$4 presets=$5

work=$(mktemp -d "${TMPDIR:-/tmp}/clipline-s3-batch-XXXXXX")
proxy_pid=""
proxy2_pid=""
cleanup() {
  [ -n "$proxy_pid" ] && kill "$proxy_pid" 2>/dev/null || true
  # shellcheck disable=SC2086
  [ -n "$proxy2_pid" ] && kill $proxy2_pid 2>/dev/null || true
  "$server" stop --dir "$work/server" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

unset AWS_PROFILE AWS_SESSION_TOKEN AWS_DEFAULT_REGION AWS_ENDPOINT_URL_S3 AWS_CA_BUNDLE \
      AWS_S3_FORCE_PATH_STYLE AWS_S3_ADDRESSING_STYLE AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE \
      CLIPLINE_S3_PART_SIZE CLIPLINE_S3_MULTIPART_THRESHOLD CLIPLINE_S3_MAX_ATTEMPTS
export HOME="$work/home" CLIPLINE_PRESETS=$presets
mkdir -p "$HOME"

"$mkmedia" "$work/cam.mov" --duration 2 --video "testsrc2=size=1280x720:rate=30" \
  --audio "sine=frequency=440:sample_rate=48000" --vopt preset=ultrafast --quiet
cat >"$work/job.json" <<JOB
{
  "destination": "out",
  "presets": ["web-720p"],
  "interviews": [
    { "id": "expert-01", "source": "cam.mov", "subtitles": "subs",
      "clips": [ { "name": "part-1", "in": "0", "out": "1.5" } ] }
  ]
}
JOB

mkdir -p "$work/subs"
printf '1\n00:00:00,200 --> 00:00:01,200\nAlternatives to detention.\n' >"$work/subs/en.srt"
timeout 60 "$server" start --dir "$work/server" --bucket clips --env-file "$work/server.env" >/dev/null
# shellcheck disable=SC1091
. "$work/server.env"
upstream=$AWS_ENDPOINT_URL
node "$proxy_js" --upstream "$AWS_ENDPOINT_URL" --keys S3RVER:S3RVER --log "$work/proxy.log" \
  --port-file "$work/proxy.port" --max-seconds 280 >"$work/proxy.out" 2>&1 &
proxy_pid=$!
for _ in $(seq 100); do [ -s "$work/proxy.port" ] && break; sleep 0.1; done
[ -s "$work/proxy.port" ] || fail "the proxy did not start"
export AWS_ENDPOINT_URL=http://127.0.0.1:$(cat "$work/proxy.port")
: >"$work/proxy.log"
data="$CLIPLINE_S3_TEST_DATA/clips/batch"

timeout 240 "$clipline" run "$work/job.json" --dest s3://clips/batch 2>"$work/run1.log" \
  || { cat "$work/run1.log" >&2; fail "the first run failed"; }
manifest="$data/manifest.json._S3rver_object"
[ -s "$manifest" ] || fail "no manifest.json in the bucket"
grep -q ' 403' "$work/proxy.log" && fail "a request was refused: $(grep ' 403' "$work/proxy.log")"
# every output of the manifest in the bucket, with its bytes; sets n
check_landed() {
  n=0
  while read -r path sha bytes; do
    obj="$data/$path._S3rver_object"
    [ -f "$obj" ] || fail "$path is listed in the manifest but not in the bucket"
    [ "$(sha256sum "$obj" | cut -d' ' -f1)" = "$sha" ] || fail "$path: sha256 differs from the manifest"
    [ "$(stat -c %s "$obj")" = "$bytes" ] || fail "$path: size differs from the manifest"
    n=$((n + 1))
  done < <(node -e '
    const m = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    for (const o of m.outputs || []) console.log(o.path, o.sha256, o.bytes);' "$manifest")
  [ "$n" -ge 1 ] || fail "the manifest lists no outputs"
}
check_landed
grep -c '^PUT .*\.mp4' "$work/proxy.log" >/dev/null || fail "no media was uploaded"

: >"$work/proxy.log"
timeout 240 "$clipline" run "$work/job.json" --dest s3://clips/batch 2>"$work/run2.log" \
  || { cat "$work/run2.log" >&2; fail "the second run failed"; }
if grep -q '^\(PUT\|POST\) .*\.mp4' "$work/proxy.log"; then
  fail "the second run sent media again: $(grep '\.mp4' "$work/proxy.log")"
fi

printf '1\n00:00:00,200 --> 00:00:01,200\nDes alternatives à la rétention.\n' >"$work/subs/fr.srt"
: >"$work/proxy.log"
timeout 240 "$clipline" run "$work/job.json" --dest s3://clips/batch 2>"$work/run3.log" \
  || { cat "$work/run3.log" >&2; fail "the run after a new language failed"; }
grep -q 'build expert-01/part-1/part-1.web-720p.mp4 (new subtitle fr; re-muxed, picture and sound copied)' "$work/run3.log" \
  || { cat "$work/run3.log" >&2; fail "the clean MP4 was not planned for a re-mux"; }
grep -q 'wrote expert-01/part-1/part-1.web-720p.mp4 (2 soft subtitle tracks; picture and sound copied)' "$work/run3.log" \
  || { cat "$work/run3.log" >&2; fail "the clean MP4 was not re-muxed"; }
grep -q '^GET .*part-1\.web-720p\.mp4' "$work/proxy.log" || fail "the published MP4 was not downloaded for the re-mux"
grep -q '^\(PUT\|POST\) .*part-1\.web-720p\.mp4' "$work/proxy.log" || fail "the re-muxed MP4 was not sent"
check_landed

node "$proxy_js" --upstream "$upstream" --keys S3RVER:S3RVER --log "$work/proxy2.log" --fail-puts 1 \
  --port-file "$work/proxy2.port" --max-seconds 200 >"$work/proxy2.out" 2>&1 &
proxy2_pid=$!
for _ in $(seq 100); do [ -s "$work/proxy2.port" ] && break; sleep 0.1; done
[ -s "$work/proxy2.port" ] || fail "the second proxy did not start"
AWS_ENDPOINT_URL=http://127.0.0.1:$(cat "$work/proxy2.port") CLIPLINE_S3_MAX_ATTEMPTS=1 \
  timeout 240 "$clipline" run "$work/job.json" --dest s3://clips/retry --report "$work/retry.json" 2>"$work/run4.log" \
  || { cat "$work/run4.log" >&2; fail "the item was not completed by trying it again"; }
grep -q 'expert-01/part-1: the destination failed; trying the item again in 2 s (attempt 2 of 3)' "$work/run4.log" \
  || { cat "$work/run4.log" >&2; fail "the failed upload did not lead to a second attempt"; }
grep -q '^PUT .* 503' "$work/proxy2.log" || fail "the proxy refused no PUT"
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  if (r.items.length !== 1 || r.items[0].status !== "ok") { console.error(JSON.stringify(r.items)); process.exit(1); }' \
  "$work/retry.json" || fail "the report does not show the item once, ok"
data="$CLIPLINE_S3_TEST_DATA/clips/retry"
manifest="$data/manifest.json._S3rver_object"
check_landed

# a shard of one publishes parts, not manifest.json; publish merges them and deletes the parts
AWS_ENDPOINT_URL=http://127.0.0.1:$(cat "$work/proxy.port") timeout 240 "$clipline" run "$work/job.json" \
  --dest s3://clips/sharded --shard 0/1 2>"$work/run5.log" || { cat "$work/run5.log" >&2; fail "the shard failed"; }
data="$CLIPLINE_S3_TEST_DATA/clips/sharded"
[ -e "$data/manifest.json._S3rver_object" ] && fail "the shard wrote manifest.json"
[ -s "$data/.clipline-parts/expert-01/part-1.json._S3rver_object" ] || fail "the shard wrote no part in the bucket"
AWS_ENDPOINT_URL=http://127.0.0.1:$(cat "$work/proxy.port") timeout 60 "$clipline" publish "$work/job.json" \
  --dest s3://clips/sharded 2>"$work/publish.log" || { cat "$work/publish.log" >&2; fail "publish failed"; }
manifest="$data/manifest.json._S3rver_object"
check_landed
grep -q '^DELETE .*/sharded/\.clipline-parts/expert-01/part-1\.json 204' "$work/proxy.log" || fail "publish did not delete the part"
[ -e "$data/.clipline-parts/expert-01/part-1.json._S3rver_object" ] && fail "the part is still in the bucket"

# a destination that refuses every upload: the item fails on it three times; exit status 75
printf '1\n00:00:00,200 --> 00:00:01,200\nAlternativen zur Haft.\n' >"$work/subs/de.srt"
node "$proxy_js" --upstream "$upstream" --keys S3RVER:S3RVER --log "$work/proxy3.log" --fail-puts 100000 \
  --port-file "$work/proxy3.port" --max-seconds 120 >"$work/proxy3.out" 2>&1 &
proxy2_pid="$proxy2_pid $!"
for _ in $(seq 100); do [ -s "$work/proxy3.port" ] && break; sleep 0.1; done
[ -s "$work/proxy3.port" ] || fail "the third proxy did not start"
set +e
AWS_ENDPOINT_URL=http://127.0.0.1:$(cat "$work/proxy3.port") CLIPLINE_S3_MAX_ATTEMPTS=1 \
  timeout 120 "$clipline" run "$work/job.json" --dest s3://clips/retry --report "$work/refused.json" 2>"$work/run6.log"
code=$?
set -e
[ "$code" = 75 ] || { cat "$work/run6.log" >&2; fail "a destination that refuses uploads: exit $code, want 75"; }
grep -q 'expert-01/part-1: the destination failed; trying the item again in 4 s (attempt 3 of 3)' "$work/run6.log" \
  || { cat "$work/run6.log" >&2; fail "the item was not tried three times"; }
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const it = r.items[0];
  if (r.items.length !== 1 || it.status !== "failed" || it.error.class !== "storage") { console.error(JSON.stringify(r.items)); process.exit(1); }' \
  "$work/refused.json" || fail "the report does not show the item failed with class storage"
echo "s3 batch: $n output(s) landed intact; the re-run sent no media; a new language re-muxed the MP4 through the bucket; a refused upload was completed by trying the item again; a shard and publish through the bucket; a destination refusing every upload: exit 75"
