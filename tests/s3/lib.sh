# Shell helpers the S3 test scripts share (sourced, never run). They use the
# script's $work (its folder), $server (scripts/s3-test-server), $proxy_js
# (tests/s3/sigv4-proxy.js) and its fail().

proxy_pids=()

# s3_clean_env: no AWS or clipline S3 setting of the caller's own leaks in; a
# private HOME (no ~/.aws).
s3_clean_env() {
  unset AWS_PROFILE AWS_SESSION_TOKEN AWS_DEFAULT_REGION AWS_ENDPOINT_URL_S3 AWS_CA_BUNDLE \
        AWS_S3_FORCE_PATH_STYLE AWS_S3_ADDRESSING_STYLE AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE \
        AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_ENDPOINT_URL AWS_REGION \
        CLIPLINE_S3_PART_SIZE CLIPLINE_S3_MULTIPART_THRESHOLD CLIPLINE_S3_MAX_ATTEMPTS \
        CLIPLINE_S3_PARALLEL CLIPLINE_S3_STALL_TIMEOUT
  export HOME="$work/home"
  mkdir -p "$HOME"
}

# s3_proxy NAME [proxy options]: a signature-checking proxy in front of
# $upstream, checking the keys in $proxy_keys (default S3RVER:S3RVER), its
# requests logged in $work/NAME.log; sets $proxy_url. Runs in this shell, so
# that s3_stop_proxies (in the exit trap) ends it.
s3_proxy() {
  local name=$1
  shift
  node "$proxy_js" --upstream "$upstream" --keys "${proxy_keys:-S3RVER:S3RVER}" --log "$work/$name.log" \
    --port-file "$work/$name.port" --max-seconds 280 "$@" >"$work/$name.out" 2>&1 &
  proxy_pids+=($!)
  for _ in $(seq 100); do
    [ -s "$work/$name.port" ] && break
    sleep 0.1
  done
  [ -s "$work/$name.port" ] || fail "the proxy $name did not start: $(cat "$work/$name.out")"
  touch "$work/$name.log"
  proxy_url="http://127.0.0.1:$(cat "$work/$name.port")"
}

s3_stop_proxies() {
  local p
  for p in "${proxy_pids[@]}"; do kill "$p" 2>/dev/null || true; done
}

# s3_server BUCKET: the S3 test server started in $work/server with BUCKET;
# its variables exported (endpoint, test credentials, region), $upstream its
# endpoint and $data the bucket's folder in its store.
s3_server() {
  timeout 60 "$server" start --dir "$work/server" --bucket "$1" --env-file "$work/server.env" >/dev/null
  # shellcheck disable=SC1091
  . "$work/server.env"
  upstream=$AWS_ENDPOINT_URL
  data="$CLIPLINE_S3_TEST_DATA/$1"
}

# s3_stop: the proxies and the server, for the exit trap.
s3_stop() {
  s3_stop_proxies
  "$server" stop --dir "$work/server" >/dev/null 2>&1 || true
}
