#!/usr/bin/env bash
# End-to-end test of the s3 storage backend against s3rver on 127.0.0.1,
# behind tests/s3/sigv4-proxy.js, which checks every SigV4 signature.
#   test-s3-e2e.sh S3_DRIVER S3_TEST_SERVER SIGV4_PROXY_JS
# Checks: bytes land identical (in s3rver's data folder and read back), a
# second publish sends nothing (HEAD sha256 check; counted by the driver and
# in the proxy's log), multipart upload of 12 MiB in 5 MiB parts, credentials
# from a profile file, retries on 503 SlowDown and dropped connections, and
# that a wrong secret or a skewed clock is refused with a clear error that
# carries no secret. Every wait is bounded.
set -euo pipefail
driver=$1
server=$2
proxy_js=$3

work=$(mktemp -d "${TMPDIR:-/tmp}/clipline-s3-e2e-XXXXXX")
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cleanup() {
  s3_stop
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

s3_clean_env

s3_server clips

# start_proxy NAME [proxy options]: sets $proxy_port
start_proxy() {
  s3_proxy "$@"
  proxy_port=${proxy_url##*:}
}

start_proxy proxy
port=$proxy_port
export AWS_ENDPOINT_URL=http://127.0.0.1:$port
stat_of() { sed -n "s/.*[ ]$2=\([0-9]*\).*/\1/p" "$1"; }
# s3rver keeps an object's bytes in <bucket>/<key>._S3rver_object
stored() { echo "$data/$1._S3rver_object"; }

echo "== single PUT, stat, read, re-publish skipped =="
head -c 300000 /dev/urandom >"$work/small.mp4"
timeout 60 "$driver" roundtrip s3://clips/run1 "$work/small.mp4" expert-01/module-3/module-3.web-720p.mp4 \
  >"$work/rt.out" 2>"$work/rt.err" || { cat "$work/rt.err"; fail "roundtrip"; }
cat "$work/rt.out"
[ "$(stat_of "$work/rt.out" put)" = 1 ] || fail "expected exactly one PUT"
[ "$(stat_of "$work/rt.out" skipped)" = 1 ] || fail "expected the re-publish to be skipped"
obj=$(stored run1/expert-01/module-3/module-3.web-720p.mp4)
[ -f "$obj" ] || fail "no object in s3rver's data folder ($obj)"
cmp "$work/small.mp4" "$obj" || fail "the stored bytes differ"
[ "$(grep -c '^PUT ' "$work/proxy.log")" = 1 ] || fail "the proxy saw $(grep -c '^PUT ' "$work/proxy.log") PUTs, want 1"
grep -q ' 403' "$work/proxy.log" && fail "the proxy refused a signature: $(grep ' 403' "$work/proxy.log")"
meta="$data/run1/expert-01/module-3/module-3.web-720p.mp4._S3rver_metadata.json"
if [ -f "$meta" ]; then
  sha=$(sha256sum "$work/small.mp4" | cut -d' ' -f1)
  grep -q "$sha" "$meta" || fail "x-amz-meta-sha256 is not stored with the object"
  grep -q 'video/mp4' "$meta" || fail "the Content-Type is not stored"
  grep -q 'max-age=31536000' "$meta" || fail "the Cache-Control is not stored"
fi

echo "== a second process sends nothing again =="
: >"$work/proxy.log"
timeout 60 "$driver" publish s3://clips/run1 "$work/small.mp4" expert-01/module-3/module-3.web-720p.mp4 \
  >"$work/again.out" 2>"$work/again.err" || { cat "$work/again.err"; fail "re-publish"; }
[ "$(stat_of "$work/again.out" put)" = 0 ] || fail "the re-run sent the object again"
grep -q '^PUT ' "$work/proxy.log" && fail "the proxy saw a PUT on the re-run"

echo "== multipart: 12 MiB in 5 MiB parts =="
head -c $((12 * 1024 * 1024 + 12345)) /dev/urandom >"$work/big.mp4"
CLIPLINE_S3_PART_SIZE=5M CLIPLINE_S3_MULTIPART_THRESHOLD=5M timeout 120 "$driver" roundtrip \
  s3://clips/run1 "$work/big.mp4" expert-02/intro/intro.web-1080p.mp4 >"$work/mp.out" 2>"$work/mp.err" \
  || { cat "$work/mp.err"; fail "multipart roundtrip"; }
cat "$work/mp.out"
[ "$(stat_of "$work/mp.out" parts)" = 3 ] || fail "expected 3 parts"
[ "$(stat_of "$work/mp.out" post)" = 2 ] || fail "expected create + complete"
cmp "$work/big.mp4" "$(stored run1/expert-02/intro/intro.web-1080p.mp4)" || fail "multipart bytes differ"

echo "== credentials from a profile of the shared credentials file =="
printf '[ci]\naws_access_key_id = S3RVER\naws_secret_access_key = S3RVER\n' >"$work/credentials"
printf '{"outputs":[]}\n' >"$work/manifest.json"
(unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
 AWS_PROFILE=ci AWS_SHARED_CREDENTIALS_FILE="$work/credentials" timeout 60 "$driver" roundtrip \
   s3://clips "$work/manifest.json" manifest.json >"$work/prof.out" 2>"$work/prof.err") \
  || { cat "$work/prof.err"; fail "profile credentials"; }
cmp "$work/manifest.json" "$(stored manifest.json)" || fail "manifest bytes differ"

echo "== a wrong secret is refused by the signature check, clearly, without the secret =="
AWS_SECRET_ACCESS_KEY=not-the-secret-Zq81x timeout 60 "$driver" denied s3://clips/run1 "$work/small.mp4" \
  denied/x.mp4 >"$work/denied.out" 2>"$work/denied.err" || { cat "$work/denied.err" "$work/denied.out"; fail "wrong secret"; }
cat "$work/denied.out"
grep -q 'not-the-secret-Zq81x' "$work/denied.out" "$work/denied.err" && fail "the secret was printed"
[ -e "$(stored run1/denied/x.mp4)" ] && fail "an object signed with a wrong secret was stored"

echo "== a skewed clock is explained =="
start_proxy skew --skew 3600
skew_port=$proxy_port
AWS_ENDPOINT_URL=http://127.0.0.1:$skew_port timeout 60 "$driver" publish s3://clips/run1 "$work/small.mp4" \
  skew/x.mp4 >"$work/skew.out" 2>"$work/skew.err" && fail "a skewed request was accepted"
grep -q 'RequestTimeTooSkewed.*clock' "$work/skew.err" || { cat "$work/skew.err"; fail "clock skew not explained"; }

echo "== retries: 503 SlowDown and dropped connections =="
start_proxy flaky --fail-first 2 --drop-first 2
flaky_port=$proxy_port
AWS_ENDPOINT_URL=http://127.0.0.1:$flaky_port timeout 120 "$driver" publish s3://clips/run1 "$work/small.mp4" \
  flaky/x.mp4 >"$work/flaky.out" 2>"$work/flaky.err" || { cat "$work/flaky.err"; fail "retries"; }
cat "$work/flaky.out"
[ "$(stat_of "$work/flaky.out" retries)" -ge 4 ] || fail "expected at least 4 retries"
cmp "$work/small.mp4" "$(stored run1/flaky/x.mp4)" || fail "bytes differ after retries"

echo "== a server that keeps failing ends with a clear error (bounded) =="
start_proxy down --fail-first 1000
down_port=$proxy_port
CLIPLINE_S3_MAX_ATTEMPTS=3 AWS_ENDPOINT_URL=http://127.0.0.1:$down_port timeout 60 "$driver" publish \
  s3://clips/run1 "$work/small.mp4" down/x.mp4 >"$work/down.out" 2>"$work/down.err" && fail "publish to a failing server succeeded"
grep -q 'HTTP 503.*kept failing' "$work/down.err" || { cat "$work/down.err"; fail "no clear error for a failing server"; }

echo "== multipart parts retried on their own, 3 in flight =="
start_proxy parts --fail-parts 3
parts_port=$proxy_port
CLIPLINE_S3_PART_SIZE=5M CLIPLINE_S3_MULTIPART_THRESHOLD=5M CLIPLINE_S3_PARALLEL=3 \
  AWS_ENDPOINT_URL=http://127.0.0.1:$parts_port timeout 120 "$driver" publish s3://clips/run1 "$work/big.mp4" \
  flaky/big.mp4 >"$work/parts.out" 2>"$work/parts.err" || { cat "$work/parts.err"; fail "part retries"; }
cat "$work/parts.out"
[ "$(stat_of "$work/parts.out" retries)" -ge 3 ] || fail "expected at least 3 part retries"
[ "$(stat_of "$work/parts.out" parts)" = 3 ] || fail "expected 3 parts"
cmp "$work/big.mp4" "$(stored run1/flaky/big.mp4)" || fail "multipart bytes differ after part retries"

echo "== a multipart upload that keeps failing is aborted, with a clear error =="
start_proxy broken --fail-parts 1000
broken_port=$proxy_port
CLIPLINE_S3_PART_SIZE=5M CLIPLINE_S3_MULTIPART_THRESHOLD=5M CLIPLINE_S3_MAX_ATTEMPTS=2 \
  AWS_ENDPOINT_URL=http://127.0.0.1:$broken_port timeout 120 "$driver" publish s3://clips/run1 "$work/big.mp4" \
  broken/big.mp4 >"$work/broken.out" 2>"$work/broken.err" && fail "a failing multipart upload succeeded"
cat "$work/broken.out"
grep -q 'part [0-9] of 3.*HTTP 500 InternalError' "$work/broken.err" || { cat "$work/broken.err"; fail "no clear error for failing parts"; }
[ "$(stat_of "$work/broken.out" delete)" = 1 ] || fail "the multipart upload was not aborted"
# s3rver 3.7.1 has no AbortMultipartUpload (it answers 405); the abort must be sent, correctly signed
grep -q '^DELETE .*uploadId=.* \(204\|405\)' "$work/broken.log" || fail "the abort did not reach the server: $(grep DELETE "$work/broken.log")"
[ -e "$(stored run1/broken/big.mp4)" ] && fail "a failed multipart upload left an object"

echo "s3 e2e: all checks passed"
