#!/usr/bin/env bash
# Real-player test: clipline's full ladder played in Debian's Chromium.
#   test-players.sh CLIPLINE MKMEDIA REPO_ROOT TESTDATA RESULTS_DIR
# Makes a 14 s sample interview, runs `clipline run` with web-1080p/720p/480p/360p
# + hls and English subtitles into a temp folder, serves it with serve.js on a free
# port of 127.0.0.1 and drives Chromium through player-test.js (playwright-core):
# every MP4 and the WebM (AV1/Opus) play to the end with the right duration and size, hls.js plays the
# master playlist and switches rungs, the WebVTT sidecar's cues are Chromium's, and
# the ableplayer WebVTT files' cue counts go to RESULTS_DIR/chromium-vtt-cues.json;
# the review page (index.html) plays a rendition and shows each language's cues.
# Exit 77 (ctest SKIP) only when /usr/bin/chromium is missing. Every wait is
# bounded; the server and the browser are stopped on every exit.
set -euo pipefail
clipline=$1
mkmedia=$2
repo=$3
testdata=$4
results=$5
chromium=${CLIPLINE_CHROMIUM:-/usr/bin/chromium}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if [ ! -x "$chromium" ]; then
  echo "SKIP: $chromium is missing (Debian package chromium; scripts/setup installs it)"
  exit 77
fi
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v node >/dev/null || fail "node is not installed"
for m in playwright-core hls.js; do
  [ -d "$repo/node_modules/$m" ] || fail "$repo/node_modules/$m is missing: run 'npm ci' at the repository root (scripts/test does)"
done
ableplayer=$testdata/subtitles/ableplayer
[ -d "$ableplayer" ] || fail "no shared test data at $ableplayer"

work=$(mktemp -d "${TMPDIR:-/tmp}/clipline-browser-XXXXXX")
server_pid=
driver_pid=
cleanup() {
  # The driver runs in its own process group (setsid): that group holds Chromium.
  if [ -n "$driver_pid" ]; then kill -TERM -- "-$driver_pid" 2>/dev/null || true; fi
  if [ -n "$server_pid" ]; then kill -TERM "$server_pid" 2>/dev/null || true; fi
  if [ -n "$driver_pid" ]; then
    for _ in $(seq 20); do kill -0 -- "-$driver_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$driver_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$results"
rm -f "$results/browser-results.json" "$results/chromium-vtt-cues.json" "$results/subtitle-frame.png"
t0=$(date +%s)

echo "== sample interview (14 s) and clipline run with the full ladder"
MKMEDIA=$mkmedia timeout 300 "$repo/scripts/make-sample-interview" "$work/sample" 14 >"$work/sample.log" 2>&1 \
  || { cat "$work/sample.log"; fail "make-sample-interview"; }
# a second language, for the review page's subtitle choice
printf '1\n00:00:02,000 --> 00:00:04,000\nDes alternatives à la rétention.\n\n2\n00:00:06,000 --> 00:00:08,000\nLa personne reste libre.\n' \
  >"$work/sample/subs/fr.srt"
cat >"$work/job.json" <<'EOF'
{"destination":"out","presets":["web-1080p","web-720p","web-480p","web-360p","webm-av1","hls"],
 "interviews":[{"id":"expert-01","source":"sample/interview.mov","subtitles":"sample/subs",
   "clips":[{"name":"module-1","in":"1","out":"13"}]}]}
EOF
clip_length=12
CLIPLINE_PRESETS=$repo/presets timeout 400 "$clipline" run "$work/job.json" >"$work/run.log" 2>&1 \
  || { cat "$work/run.log"; fail "clipline run"; }
out=$work/out
clipdir=$out/expert-01/module-1
for f in module-1.web-1080p.mp4 module-1.web-720p.mp4 module-1.web-480p.mp4 module-1.web-360p.mp4 \
         module-1.webm-av1.webm module-1.en.vtt hls/master.m3u8 manifest.json; do
  [ -f "$clipdir/$f" ] || fail "clipline did not write $f"
done
echo "   built in $(( $(date +%s) - t0 )) s"

# Frame rate of every MP4 and WebM, from `clipline probe`, for the one-frame tolerance.
{
  echo "{"
  sep=""
  for f in "$clipdir"/*.mp4 "$clipdir"/*.webm; do
    fps=$(timeout 20 "$clipline" probe "$f" 2>/dev/null | sed -n 's/.* video: .*, \([0-9.]*\) fps,.*/\1/p' | head -1)
    [ -n "$fps" ] || fail "clipline probe gave no frame rate for $f"
    printf '%s "expert-01/module-1/%s": %s\n' "$sep" "$(basename "$f")" "$fps"
    sep=","
  done
  echo "}"
} >"$work/fps.json"

echo "== serving $out on 127.0.0.1"
node "$here/serve.js" --root "$out" \
  --mount "/__test__/=$here" \
  --mount "/__vendor__/hls.js=$repo/node_modules/hls.js/dist/hls.js" \
  --mount "/__ableplayer__/=$ableplayer" \
  --port-file "$work/port" --log "$work/serve.log" --max-seconds 140 >"$work/serve.out" 2>&1 &
server_pid=$!
for _ in $(seq 100); do
  [ -s "$work/port" ] && break
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
[ -s "$work/port" ] || { cat "$work/serve.out"; fail "serve.js did not start"; }
port=$(cat "$work/port")
base=http://127.0.0.1:$port
# The server answers ranges as a player asks for them.
node -e '
const http = require("http");
const req = http.get(process.argv[1], { headers: { Range: "bytes=0-99" }, timeout: 5000 }, (res) => {
  const ok = res.statusCode === 206 && res.headers["content-type"] === "video/mp4"
    && res.headers["content-length"] === "100" && /^bytes 0-99\/\d+$/.test(res.headers["content-range"] || "");
  if (!ok) { console.error(res.statusCode, JSON.stringify(res.headers)); process.exit(1); }
  res.resume(); res.on("end", () => process.exit(0));
});
req.on("timeout", () => { console.error("timeout"); process.exit(1); });
req.on("error", (e) => { console.error(e.message); process.exit(1); });
' "$base/expert-01/module-1/module-1.web-360p.mp4" || fail "the server did not answer a byte range with 206 video/mp4"

echo "== Chromium (playwright-core) at $base"
NODE_PATH=$repo/node_modules setsid node "$here/player-test.js" --base "$base" --out "$out" \
  --clip expert-01/module-1 --clip-length "$clip_length" --fps-file "$work/fps.json" \
  --ableplayer-dir "$ableplayer" --results-dir "$results" --profile "$work/profile" \
  --chromium "$chromium" --deadline 120 &
driver_pid=$!
rc=0
wait "$driver_pid" || rc=$?
if [ "$rc" -ne 0 ]; then
  echo "--- server: requests not answered 200/206, then the last 10"
  grep -v -E ' (200|206)( |$)' "$work/serve.log" || true
  tail -n 10 "$work/serve.log" || true
  fail "the player checks failed (exit $rc); details above and in $results/browser-results.json"
fi
grep -q ' 404' "$work/serve.log" && echo "note: the server answered 404 to: $(grep ' 404' "$work/serve.log" | sort -u | tr '\n' ';')"
echo "PASS in $(( $(date +%s) - t0 )) s; results in $results"
