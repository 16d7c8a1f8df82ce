#!/usr/bin/env bash
# Secrets stay secret. Batches through `clipline run --dest s3://...` against
# s3rver behind the SigV4-checking proxy, which knows the distinctive secret
# each run must sign with:
# - from the environment (AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN), with
#   debug logging (-v -v), --progress json, --report and --junit;
# - from a profile of a shared credentials file (AWS_PROFILE), with a proxy
#   that refuses the first upload (503), so an item fails and is tried again;
# - with a wrong secret: refused (SignatureDoesNotMatch), a clear error.
# No secret (nor session token, nor their first 16 characters, nor their
# URL-encoded form) is in stdout, stderr, the progress events, the reports,
# any object of the bucket (manifests included, and s3rver's metadata), the
# cache folder, the staging folder ($TMPDIR), nor in the process's command
# line (/proc/PID/cmdline, sampled while it runs); no option of clipline
# takes a secret. Core files: a run killed with SIGABRT while it uploads
# leaves no core file with a secret (the process is not dumpable once it holds
# credentials), while the same kill of a run without credentials does leave a
# core (the check is real); skipped, with a message, where this machine
# writes no core files (a core_pattern pipe that cannot be changed).
#   test-s3-secrets.sh CLIPLINE MKMEDIA S3_TEST_SERVER SIGV4_PROXY_JS PRESETS_DIR
set -euo pipefail
clipline=$1 mkmedia=$2 server=$3 proxy_js=$4 presets=$5

work=$(mktemp -d "${TMPDIR:-/tmp}/clipline-s3-secrets-XXXXXX")
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
declare -A pids
pattern_saved=""
cleanup() {
  s3_stop
  [ -z "$pattern_saved" ] || printf '%s\n' "$pattern_saved" > /proc/sys/kernel/core_pattern || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "s3 secrets: FAIL: $*" >&2; exit 1; }

s3_clean_env
export CLIPLINE_PRESETS=$presets CLIPLINE_CACHE_DIR=$work/cache TMPDIR=$work/tmp
mkdir -p "$TMPDIR" "$work/out" "$work/aws"
cd "$work"

# distinctive secrets, with the / and + of real ones
env_secret='Kx9/EnvSecret+Cl1pTest7Q2wZ9xK4mN8vB3rT6y'
env_token='FwoGZXIvYXdzE.Cl1pTestToken/Session+Tok9a8b7c6d5e4f3g2h1'
file_secret='Qz4/FileSecret+Cl1pTest2Lw8Rt5Yp1Ks6Dn3Hg'
file_token='IQoJb3JpZ2luX2Vj.Cl1pTestToken/Profile+Tok1h2g3f4e5d6c7b8a'
wrong_secret='Wr0/WrongSecret+Cl1pTest5Nc2Vb8Xm4Zq7Lp1J'
printf '[clipline-test]\naws_access_key_id = S3RVER\naws_secret_access_key = %s\naws_session_token = %s\n' \
  "$file_secret" "$file_token" > "$work/aws/credentials"

# no option takes a secret: credentials come from the environment or files only
"$clipline" --help > help.txt 2>&1 || true
[ -s help.txt ] || fail "clipline --help printed nothing"
if grep -iE -- '--[a-z-]*(secret|key|token|passw|credential|auth)' help.txt; then
  fail "an option takes a secret on the command line"
fi

"$mkmedia" "$work/src.mp4" --duration 8 --video "testsrc2=size=320x240:rate=25" \
  --audio "sine=frequency=440:sample_rate=48000" --vopt preset=ultrafast --quiet
mkdir -p "$work/subs"
printf '1\n00:00:00,000 --> 00:00:20,000\nAlternatives to detention work.\n' > "$work/subs/en.srt"
clips=""
for k in $(seq 0 5); do
  clips="$clips${clips:+, }{ \"name\": \"c$k\", \"in\": $(awk -v k="$k" 'BEGIN { print k * 1.2 }'), \"duration\": 1.2 }"
done
printf '{ "presets": ["web-360p"],\n  "interviews": [ { "id": "iv", "source": "src.mp4", "subtitles": "subs", "clips": [ %s ] } ] }\n' \
  "$clips" > "$work/job.json"

timeout 60 "$server" start --dir "$work/server" --bucket clips --env-file "$work/server.env" >/dev/null
upstream=$(sed -n 's/^export AWS_ENDPOINT_URL=//p' "$work/server.env")
data=$(sed -n 's/^export CLIPLINE_S3_TEST_DATA=//p' "$work/server.env")
[ -n "$upstream" ] || fail "the S3 test server gave no endpoint"
[ -n "$data" ] || fail "the S3 test server gave no data folder"

# start_proxy NAME SECRET [proxy options]: a proxy that checks signatures made with SECRET
start_proxy() {
  local name=$1 secret=$2
  shift 2
  proxy_keys="S3RVER:$secret" s3_proxy "proxy-$name" "$@"
}
start_proxy env "$env_secret"
start_proxy profile "$file_secret" --fail-puts 1
env_url=http://127.0.0.1:$(cat "$work/proxy-env.port")
profile_url=http://127.0.0.1:$(cat "$work/proxy-profile.port")

# launch NAME CREDS URL DEST [clipline args]: starts clipline in the background,
# in $work/cwd-NAME (where a core file would land), its pid in $pid and pids[NAME]. CREDS: env,
# profile, wrong or none. Output in NAME.out and NAME.err.
launch() {
  local name=$1 creds=$2 url=$3 dest=$4
  shift 4
  mkdir -p "$work/cwd-$name"
  (
    cd "$work/cwd-$name"
    ulimit -c unlimited 2> /dev/null || true
    export AWS_REGION=us-east-1 AWS_ENDPOINT_URL=$url CLIPLINE_TEST_MARKER=Cl1pMarker-in-the-environment-$name
    case $creds in
      env) export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=$env_secret AWS_SESSION_TOKEN=$env_token ;;
      profile) export AWS_PROFILE=clipline-test AWS_SHARED_CREDENTIALS_FILE=$work/aws/credentials CLIPLINE_S3_MAX_ATTEMPTS=1 ;;
      wrong) export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=$wrong_secret ;;
    esac
    exec "$clipline" "$@" "$work/job.json" --dest "$dest" > "$work/$name.out" 2> "$work/$name.err"
  ) &
  pid=$!
  pids[$name]=$pid
}

# sample NAME: the running process's command line, appended to NAME.cmdline
sample() {
  { tr '\0' ' ' < "/proc/$pid/cmdline"; echo; } >> "$work/$1.cmdline" 2> /dev/null || true
}

# finish NAME: samples the command line while the process runs, then its exit status in $rc
finish() {
  while kill -0 "$pid" 2> /dev/null; do
    sample "$1"
    sleep 0.05
  done
  rc=0
  wait "$pid" || rc=$?
}

# 1. secrets from the environment, with every kind of output
launch env env "$env_url" s3://clips/env -v -v run --progress json --report "$work/env-report.json" --junit "$work/env-junit.xml"
finish env
[ "$rc" = 0 ] || { tail -20 "$work/env.err"; fail "the run with secrets from the environment: exit $rc"; }
grep -q 'credentials from AWS_ACCESS_KEY_ID' "$work/env.err" || fail "the run did not take the environment's credentials"
[ "$(grep -c '^PUT /clips/env/.* 200' "$work/proxy-env.log")" -ge 20 ] || fail "the run uploaded too little: $(cat "$work/proxy-env.log")"
[ -s "$data/clips/env/manifest.json._S3rver_object" ] || fail "no manifest.json in the bucket"

# 2. secrets from a profile of the shared credentials file; the first upload refused
launch profile profile "$profile_url" s3://clips/profile -v run --progress json --report "$work/profile-report.json"
finish profile
[ "$rc" = 0 ] || { tail -20 "$work/profile.err"; fail "the run with a profile's secret: exit $rc"; }
grep -q "credentials from profile \"clipline-test\" of $work/aws/credentials" "$work/profile.err" \
  || fail "the run did not take the profile's credentials"
grep -q 'the destination failed; trying the item again' "$work/profile.err" || fail "no item failed on the refused upload"
grep -q '^PUT .* 503' "$work/proxy-profile.log" || fail "the proxy refused no upload"

# 3. a wrong secret: refused, clearly
launch wrong wrong "$env_url" s3://clips/wrong -v -v run --progress json --report "$work/wrong-report.json"
finish wrong
[ "$rc" = 2 ] || fail "a wrong secret gave exit $rc, want 2 (configuration: the same command again fails the same way)"
grep -q 'SignatureDoesNotMatch.*the secret access key does not belong to the access key id' "$work/wrong.err" \
  || { cat "$work/wrong.err"; fail "a wrong secret: no clear error"; }
grep -q 'SignatureDoesNotMatch' "$work/wrong-report.json" || fail "the report does not tell why"

# 4. core files. Where does this machine write them?
cores=""
pattern=$(cat /proc/sys/kernel/core_pattern 2> /dev/null || echo '|')
case $pattern in
  '|'* | /*)
    if printf '%s\n' "$work/cores/core.%p" > /proc/sys/kernel/core_pattern 2> /dev/null; then
      pattern_saved=$pattern cores=$work/cores
      mkdir -p "$cores"
    fi ;;
  *) cores=cwd ;; # a relative name: in the process's working folder
esac
core_files() { # NAME: the core files the process launched as NAME left
  if [ "$cores" = cwd ]; then find "$work/cwd-$1" -maxdepth 1 -type f -name 'core*'; else find "$cores" -type f -name "core.${pids[$1]}*"; fi
}
# abort NAME CREDS URL DEST WAIT-FOR: launches, waits for WAIT-FOR in the proxy's log (or,
# without a proxy, for an encode event), stops the process, samples it, kills it with SIGABRT
abort() {
  local name=$1 creds=$2 url=$3 dest=$4 log=$5 what=$6
  launch "$name" "$creds" "$url" "$dest" run --progress json
  for _ in $(seq 600); do
    grep -q "$what" "$log" 2> /dev/null && break
    kill -0 "$pid" 2> /dev/null || break
    sleep 0.02
  done
  kill -STOP "$pid" 2> /dev/null || fail "$name: the run ended before it could be stopped"
  grep -q "$what" "$log" || fail "$name: never saw \"$what\""
  sample "$name"
  kill -ABRT "$pid"
  kill -CONT "$pid"
  rc=0
  { wait "$pid"; } 2> /dev/null || rc=$? # (without the shell's "Aborted" line)
  [ "$rc" = 134 ] || fail "$name: exit $rc after SIGABRT, want 134"
}
core_note="core files: not checked (core_pattern \"$pattern\" is a pipe or a fixed path and cannot be changed here)"
if [ -n "$cores" ]; then
  abort control none "" "$work/out" "$work/control.out" '"phase": *"encode"'
  control=$(core_files control | head -1)
  if [ -z "$control" ]; then
    core_note="core files: not checked (a run without credentials left no core file: core dumps are off here)"
  else
    grep -qaF 'Cl1pMarker-in-the-environment-control' "$control" || fail "the control core file does not hold the environment"
    abort env-abort env "$env_url" s3://clips/abort-env "$work/proxy-env.log" 'PUT /clips/abort-env/'
    abort profile-abort profile "$profile_url" s3://clips/abort-profile "$work/proxy-profile.log" 'PUT /clips/abort-profile/.* 200'
    # secrets in the environment of a run to a local folder: in memory all the same
    abort env-local env "" "$work/out-local" "$work/env-local.out" '"phase": *"encode"'
    n=$(( $(core_files env-abort | wc -l) + $(core_files profile-abort | wc -l) + $(core_files env-local | wc -l) ))
    core_note="core files: a run without credentials left one ($(stat -c %s "$control") bytes, the environment in it); 3 runs holding secrets left $n"
    rm -f "$control"
  fi
fi

# 5. the search: every secret, its first 16 characters and its URL-encoded form
: > needles.txt
for s in "$env_secret" "$env_token" "$file_secret" "$file_token" "$wrong_secret"; do
  printf '%s\n%s\n%s\n' "$s" "${s:0:16}" "$(printf '%s' "$s" | sed 's|/|%2F|g; s|+|%2B|g')" >> needles.txt
done
total=0 summary=""
search() { # WHAT FILE...: no needle in any of the files; adds their bytes to the figures
  local what=$1 bytes=0 f
  shift
  for f in "$@"; do
    [ -f "$f" ] || continue
    bytes=$((bytes + $(stat -c %s "$f")))
    if grep -aFf needles.txt "$f" > /dev/null; then
      fail "a secret is in $what: $f: $(grep -aoFf needles.txt "$f" | head -1)"
    fi
  done
  total=$((total + bytes))
  summary="$summary${summary:+, }$what $bytes"
}
runs=(env profile wrong control env-abort profile-abort env-local)
outs=() errs=() cmdlines=()
for r in "${runs[@]}"; do
  [ -f "$r.out" ] && outs+=("$r.out")
  [ -f "$r.err" ] && errs+=("$r.err")
  [ -f "$r.cmdline" ] && cmdlines+=("$r.cmdline")
done
[ "${#cmdlines[@]}" -ge 3 ] || fail "the command lines were not sampled"
search "stdout (progress events)" "${outs[@]}"
search "stderr (logs, -v -v)" "${errs[@]}"
search "reports" ./*-report.json ./*-junit.xml
mapfile -t bucket < <(find "$data" -type f)
[ "${#bucket[@]}" -ge 40 ] || fail "only ${#bucket[@]} files in the bucket"
search "the bucket (${#bucket[@]} files: objects, manifests, metadata)" "${bucket[@]}"
mapfile -t cache < <(find "$CLIPLINE_CACHE_DIR" -type f)
search "the cache folder (${#cache[@]} files)" "${cache[@]}"
mapfile -t tmp < <(find "$TMPDIR" -type f)
search "the staging folder (${#tmp[@]} files)" "${tmp[@]}"
search "the command lines (${#cmdlines[@]} runs sampled)" "${cmdlines[@]}"
if [ -n "$cores" ]; then
  mapfile -t corelist < <(find "$work" -type f -name 'core*' -path '*cwd-*'; [ "$cores" = cwd ] || find "$cores" -type f)
  search "core files (${#corelist[@]})" "${corelist[@]}"
fi
echo "s3 secrets: ok: no secret in $total bytes searched ($summary); $core_note"
