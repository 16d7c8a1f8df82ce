#!/usr/bin/env bash
# Multipart uploads that break and are taken up again, against s3rver on
# 127.0.0.1 (with ListParts and AbortMultipartUpload, scripts/s3-test-server.js)
# behind tests/s3/sigv4-proxy.js, which checks every signature and injects the
# faults. A 40 MiB file goes up in 8 parts of 5 MiB, 2 at a time.
#   test-s3-resume.sh S3_DRIVER S3_TEST_SERVER SIGV4_PROXY_JS
# Checks:
#  - kill -9 in the middle: the journal is left in the cache folder; the next
#    publish lists the parts (ListParts), keeps those the server holds and
#    sends only the others; the object is byte for byte the file; the journal
#    and the server's upload are gone afterwards;
#  - Ctrl-C (SIGINT) in the middle: the upload is not aborted, the journal
#    says so, and the next publish resumes it;
#  - the file changed before the resume: the old upload is aborted and a new
#    one sends every part;
#  - a server that keeps failing every part: a clear error, the multipart
#    upload aborted (DELETE ?uploadId, 204), nothing left on the server;
#  - stalled requests (no answer at all) end by the stall timeout and are
#    retried; the object lands intact.
# Every wait is bounded.
set -euo pipefail
driver=$1
server=$2
proxy_js=$3

work=$(mktemp -d "${TMPDIR:-/tmp}/clipline-s3-resume-XXXXXX")
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cleanup() {
  s3_stop
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

s3_clean_env
export CLIPLINE_CACHE_DIR="$work/cache" CLIPLINE_S3_PART_SIZE=5242880 CLIPLINE_S3_PARALLEL=2

s3_server clips
uploads="$data/._S3rver_uploads"

start_proxy() { # NAME [options]: the client goes through it from now on
  s3_proxy "$@"
  export AWS_ENDPOINT_URL=$proxy_url
}
stat_of() { sed -n "s/.*[ ]$2=\([0-9]*\).*/\1/p" "$1"; }
parts_sent() { grep -c '^PUT .*partNumber=.* 200$' "$1" || true; }
journal() { find "$CLIPLINE_CACHE_DIR/uploads" -name "*.json" 2>/dev/null | head -n1 || true; }
journal_parts() { { grep -o '"[0-9][0-9]*":' "$1" || true; } | wc -l; }
# settle LOG: until the proxy has forwarded every part it still held (delayed
# past the client's death): its log stops growing for longer than the delay
settle() {
  local n=-1
  for _ in $(seq 12); do
    [ "$(wc -l <"$1")" -eq "$n" ] && return 0
    n=$(wc -l <"$1")
    sleep 2.5
  done
}
server_parts() { find "$uploads" -name '*.md5' 2>/dev/null | wc -l; }
# wait_parts N: until the journal lists at least N parts (at most 60 s)
wait_parts() {
  for _ in $(seq 600); do
    j=$(journal)
    if [ -n "$j" ] && [ "$(journal_parts "$j" 2>/dev/null || echo 0)" -ge "$1" ]; then return 0; fi
    sleep 0.05
  done
  fail "the journal never listed $1 parts"
}

head -c $((40 * 1048576)) /dev/urandom >"$work/big.mp4"
rel=expert-01/module-1/module-1.web-1080p.mp4
obj="$data/up/$rel._S3rver_object"

echo "== kill -9 in the middle, then resume =="
start_proxy slow --delay-parts 1500
"$driver" publish s3://clips/up "$work/big.mp4" "$rel" >"$work/kill.out" 2>"$work/kill.err" &
pid=$!
wait_parts 2
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
settle "$work/slow.log" # parts the proxy still held reach the server (the client never heard of them)
j=$(journal)
[ -n "$j" ] || fail "no upload journal after the kill"
before=$(journal_parts "$j")
held=$(server_parts)
echo "killed with $before parts in the journal, $held held by the server"
[ "$held" -ge "$before" ] || fail "the server holds $held parts, the journal lists $before"
[ "$held" -lt 8 ] || fail "the upload had finished before the kill"
[ -f "$obj" ] && fail "the object exists before the upload was completed"

start_proxy resume1
timeout 120 "$driver" publish s3://clips/up "$work/big.mp4" "$rel" >"$work/resume1.out" 2>"$work/resume1.err" ||
  { cat "$work/resume1.err"; fail "the resumed publish failed"; }
cat "$work/resume1.out"
grep -i 'resum\|listing\|journal' "$work/resume1.err" || true
kept=$(stat_of "$work/resume1.out" kept)
sent=$(parts_sent "$work/resume1.log")
echo "resume: kept $kept parts, sent $sent"
[ "$kept" -ge "$before" ] || fail "kept $kept parts, the journal listed $before"
[ "$kept" -eq "$held" ] || fail "kept $kept parts, the server held $held"
[ "$sent" -eq $((8 - kept)) ] || fail "sent $sent parts, want $((8 - kept))"
grep -q '^GET .*uploadId=.* 200$' "$work/resume1.log" || fail "no ListParts request"
grep -q '^POST .*uploads' "$work/resume1.log" && fail "a new multipart upload was started"
cmp "$work/big.mp4" "$obj" || fail "the resumed object differs from the file"
[ -z "$(journal)" ] || fail "the journal is still there after the upload completed"
[ "$(server_parts)" -eq 0 ] || fail "parts left on the server after completion"

echo "== Ctrl-C in the middle: kept for the next run, which resumes it =="
rel2=expert-01/module-2/module-2.web-1080p.mp4
start_proxy slow2 --delay-parts 1500
"$driver" publish s3://clips/up "$work/big.mp4" "$rel2" >"$work/int.out" 2>"$work/int.err" &
pid=$!
wait_parts 2
kill -INT "$pid"
rc=0
timeout 30 tail --pid="$pid" -f /dev/null || fail "the driver did not stop on SIGINT"
wait "$pid" || rc=$?
[ "$rc" -ne 0 ] || fail "an interrupted publish reported success"
grep -q 'the next run resumes it' "$work/int.err" || fail "no word that the upload is kept: $(tail -3 "$work/int.err")"
grep -q '^DELETE .*uploadId' "$work/slow2.log" && fail "an interrupted upload was aborted"
[ -n "$(journal)" ] || fail "no journal after Ctrl-C"
start_proxy resume2
timeout 120 "$driver" publish s3://clips/up "$work/big.mp4" "$rel2" >"$work/resume2.out" 2>"$work/resume2.err" ||
  { cat "$work/resume2.err"; fail "the publish after Ctrl-C failed"; }
kept=$(stat_of "$work/resume2.out" kept)
[ "$kept" -ge 2 ] || fail "after Ctrl-C, kept $kept parts (want 2 or more)"
[ "$(parts_sent "$work/resume2.log")" -eq $((8 - kept)) ] || fail "after Ctrl-C, sent parts again"
cmp "$work/big.mp4" "$data/up/$rel2._S3rver_object" || fail "the object resumed after Ctrl-C differs"

echo "== the file changed before the resume: the old upload is aborted =="
rel3=expert-01/module-3/module-3.web-1080p.mp4
start_proxy slow3 --delay-parts 1500
"$driver" publish s3://clips/up "$work/big.mp4" "$rel3" >"$work/k3.out" 2>"$work/k3.err" &
pid=$!
wait_parts 2
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
settle "$work/slow3.log" # what the proxy still held reaches the server
head -c $((40 * 1048576)) /dev/urandom >"$work/big2.mp4"
start_proxy changed
timeout 120 "$driver" publish s3://clips/up "$work/big2.mp4" "$rel3" >"$work/changed.out" 2>"$work/changed.err" ||
  { cat "$work/changed.err"; fail "the publish of changed bytes failed"; }
[ "$(stat_of "$work/changed.out" kept)" = 0 ] || fail "parts of other bytes were kept"
grep -q '^DELETE .*uploadId=.* 204$' "$work/changed.log" || fail "the old upload was not aborted"
[ "$(parts_sent "$work/changed.log")" -eq 8 ] || fail "not every part of the new bytes was sent"
cmp "$work/big2.mp4" "$data/up/$rel3._S3rver_object" || fail "the new object differs"
[ "$(server_parts)" -eq 0 ] || fail "the aborted upload's parts are still on the server"

echo "== every part fails: clear error, upload aborted =="
start_proxy failing --fail-parts 1000
if CLIPLINE_S3_MAX_ATTEMPTS=2 timeout 120 "$driver" publish s3://clips/up "$work/big.mp4" failing/x.mp4 \
    >"$work/failing.out" 2>"$work/failing.err"; then
  fail "a publish whose every part failed succeeded"
fi
grep 'publish failing' "$work/failing.err" | tail -1
grep -q 'part 1 of 8\|part 2 of 8' "$work/failing.err" || fail "the error does not name the part"
grep -q 'gave up\|HTTP 500\|InternalError' "$work/failing.err" || fail "the error does not say why"
grep -q '^DELETE .*uploadId=.* 204$' "$work/failing.log" || fail "the failed upload was not aborted"
[ "$(server_parts)" -eq 0 ] || fail "parts of the failed upload are still on the server"
[ -z "$(journal)" ] || fail "a journal was left for an upload that was given up"

echo "== stalled requests: the stall timeout ends them, the retries land the object =="
start_proxy stall --stall-first 2 --stall-seconds 60
t0=$(date +%s)
CLIPLINE_S3_STALL_TIMEOUT=2 timeout 120 "$driver" publish s3://clips/up "$work/big.mp4" stalled/x.mp4 \
  >"$work/stall.out" 2>"$work/stall.err" || { cat "$work/stall.err"; fail "the publish through stalls failed"; }
t1=$(date +%s)
[ "$(grep -c ' stalled [0-9]* ms$' "$work/stall.log")" -eq 2 ] || fail "the proxy did not stall 2 requests: $(cat "$work/stall.log")"
[ "$(stat_of "$work/stall.out" retries)" -ge 2 ] || fail "the stalled requests were not retried"
[ $((t1 - t0)) -lt 50 ] || fail "the stalls were not cut short by the stall timeout ($((t1 - t0)) s)"
cmp "$work/big.mp4" "$data/up/stalled/x.mp4._S3rver_object" || fail "the object sent through stalls differs"
echo "stalls: 2 requests held, retried, done in $((t1 - t0)) s"
echo "OK"
