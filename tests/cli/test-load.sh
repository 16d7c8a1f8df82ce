#!/usr/bin/env bash
# Load: a batch of 50 short clips (10 generated 320x240 recordings, 5 clips of
# 1.2 s each; web-360p with an English soft track and an English burned
# variant, so 4 outputs a clip) with `clipline run -j 2`, and then:
# - exit 0, every item ok in the report, every output "built";
# - every output manifest.json lists exists with the bytes and sha256 it
#   records; nothing else is left under the destination (no staging);
# - every MP4 went through the verify stage (a "verify" progress event each);
# - peak memory (/usr/bin/time's maximum resident set) under 1 GiB;
# - no file descriptor or thread left at the end of the run: the CLI's own
#   check (CLIPLINE_CHECK_LEAKS=1: /proc/self/fd and /proc/self/task before
#   the context is opened and after it is closed, every worker joined), and,
#   sampled from outside while the batch runs, descriptors and threads that
#   stay bounded (they do not grow with the items done).
# Prints the figures: clips, wall time, max RSS, fds and threads.
# Usage: test-load.sh CLIPLINE FIXTURES REPO MKMEDIA
set -euo pipefail
clipline=$1 repo=$3 mkmedia=$4
work=$(mktemp -d "${TMPDIR:-/tmp}/clipline-load-XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "load: FAIL: $*" >&2; exit 1; }
cd "$work"
export CLIPLINE_PRESETS=$repo/presets CLIPLINE_CACHE_DIR=$work/cache
[ -x /usr/bin/time ] || fail "/usr/bin/time is missing (the time package: scripts/setup installs it)"

# 10 recordings of 8 s, 25 fps, each with its own tone; two made at a time
for i in $(seq 0 9); do
  "$mkmedia" "src$i.mp4" --duration 8 --video "testsrc2=size=320x240:rate=25" \
    --audio "sine=frequency=$((300 + 40 * i)):sample_rate=48000" --vopt preset=ultrafast --quiet &
  if [ $((i % 2)) = 1 ]; then wait; fi
done
wait
for i in $(seq 0 9); do [ -s "src$i.mp4" ] || fail "src$i.mp4 was not generated"; done
mkdir subs
printf '1\n00:00:00,000 --> 00:00:20,000\nAlternatives to detention work.\n' > subs/en.srt
{
  printf '{ "destination": "out", "presets": ["web-360p"],\n'
  printf '  "subtitles": { "burn_in": { "languages": ["en"], "presets": ["web-360p"] } },\n'
  printf '  "interviews": [\n'
  for i in $(seq 0 9); do
    printf '    { "id": "iv%02d", "source": "src%d.mp4", "subtitles": "subs", "clips": [' "$i" "$i"
    # in points on and between frames (1.61 s: a quarter frame past frame 40, 3.22: half past
    # frame 80, 4.83: three quarters past frame 120, 6.44: frame 161): every clip starts its
    # picture and its sound together
    for k in $(seq 0 4); do
      printf '%s{ "name": "c%d", "in": %s, "duration": 1.2 }' "$([ "$k" = 0 ] || echo ', ')" "$k" \
        "$(awk -v k="$k" 'BEGIN { print k * 1.61 }')"
    done
    printf ' ] }%s\n' "$([ "$i" = 9 ] || echo ,)"
  done
  printf '  ] }\n'
} > job.json
clips=50

# the run, its descriptors and threads sampled from outside every 0.1 s
t0=$(date +%s.%N)
CLIPLINE_CHECK_LEAKS=1 /usr/bin/time -v -o time.txt "$clipline" run -j 2 --progress json --report report.json \
  job.json > events.ndjson 2> run.log &
time_pid=$!
pid=""
for _ in $(seq 100); do
  pid=$(pgrep -P "$time_pid" -x clipline || true)
  [ -n "$pid" ] && break
  kill -0 "$time_pid" 2>/dev/null || break
  sleep 0.05
done
max_fds=0 max_threads=0 samples=0
while [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; do
  # (the process may end while it is read: what was read counts)
  f=$(find "/proc/$pid/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l || true)
  t=$(find "/proc/$pid/task" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l || true)
  [ "$f" -gt "$max_fds" ] && max_fds=$f
  [ "$t" -gt "$max_threads" ] && max_threads=$t
  samples=$((samples + 1))
  sleep 0.1
done
rc=0
wait "$time_pid" || rc=$?
t1=$(date +%s.%N)
[ "$rc" = 0 ] || { tail -30 run.log; fail "the batch exited $rc, want 0"; }
grep -q "clipline: $clips items: $clips ok, 0 failed; 200 outputs built, 0 up to date" run.log \
  || { tail -30 run.log; fail "the summary"; }

# no descriptor or thread left at the end (the CLI exits 70 when there are; its figures printed)
leaks=$(grep '^clipline: leak check: ' run.log) || { tail -5 run.log; fail "the CLI printed no leak check"; }
read -r fds0 threads0 fds1 threads1 < <(sed -E 's/.* ([0-9]+) file descriptors and ([0-9]+) threads at the start, ([0-9]+) and ([0-9]+) at the end/\1 \2 \3 \4/' <<< "$leaks")
[ "$fds1" -le "$fds0" ] || fail "$((fds1 - fds0)) file descriptors left open: $(grep 'leak check' run.log)"
[ "$threads1" -le "$threads0" ] || fail "$((threads1 - threads0)) threads left running: $(grep 'leak check' run.log)"
# while it ran: a bounded number (2 items at a time, each with its decoder, encoders and files)
[ "$samples" -ge 3 ] || fail "the running batch was sampled only $samples times"
[ "$max_fds" -le $((fds0 + 64)) ] || fail "$max_fds file descriptors open at once during the run (started with $fds0)"
[ "$max_threads" -le 64 ] || fail "$max_threads threads at once during the run"

# peak memory
rss_kb=$(sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): //p' time.txt)
[ -n "$rss_kb" ] || { cat time.txt; fail "no maximum resident set size in /usr/bin/time's output"; }
[ "$rss_kb" -lt $((1024 * 1024)) ] || fail "peak memory $((rss_kb / 1024)) MiB, want under 1 GiB"

# outputs, report and verification
python3 - "$clips" <<'PY' || fail "manifest, report or verification"
import hashlib, json, os, sys
clips = int(sys.argv[1])
m = json.load(open("out/manifest.json"))
outs = m["outputs"]
assert len(outs) == 4 * clips, ("outputs in the manifest", len(outs))
assert len(m["items"]) == clips and all(i["status"] == "ok" for i in m["items"]), "manifest items"
listed = set()
for o in outs:
    p = os.path.join("out", o["path"])
    assert os.path.isfile(p), (o["path"], "listed but missing")
    data = open(p, "rb").read()
    assert len(data) == o["bytes"], (o["path"], "bytes", len(data), o["bytes"])
    assert hashlib.sha256(data).hexdigest() == o["sha256"], (o["path"], "sha256 differs")
    listed.add(o["path"])
kinds = sorted(o["path"].split(".", 1)[1] for o in outs if o["path"].startswith("iv00/c0/"))
assert kinds == ["en.vtt", "poster.jpg", "web-360p.burned-en.mp4", "web-360p.mp4"], kinds
# nothing else under the destination: the clips' own manifests, manifest.json, index.html
extra = []
for d, dirs, files in os.walk("out"):
    for f in files:
        rel = os.path.relpath(os.path.join(d, f), "out")
        if rel not in listed and f != "manifest.json" and rel != "index.html":
            extra.append(rel)
assert not extra, ("left under the destination", extra[:10])
r = json.load(open("report.json"))
assert r["status"] == "ok" and len(r["items"]) == clips, (r["status"], len(r["items"]))
for it in r["items"]:
    assert it["status"] == "ok" and all(o["status"] == "built" for o in it["outputs"]), it
# every MP4 verified: one "verify" event per MP4, each a JSON object on its own line
verified = set()
summary = None
for line in open("events.ndjson"):
    e = json.loads(line)
    if e.get("phase") == "verify":
        verified.add(e["output"])
    if e["event"] == "summary":
        summary = e
mp4s = {o["path"] for o in outs if o["path"].endswith(".mp4")}
assert len(mp4s) == 2 * clips and mp4s == verified, ("not verified", sorted(mp4s - verified)[:5])
assert summary and summary["status"] == "ok" and summary["items_ok"] == clips, summary
PY
printf 'load: ok: %d clips (%d outputs) with -j 2 in %.1f s; max RSS %d MiB; %d fds and %d threads at the start, %d and %d at the end; at most %d fds and %d threads while running (%d samples)\n' \
  "$clips" $((4 * clips)) "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" $((rss_kb / 1024)) \
  "$fds0" "$threads0" "$fds1" "$threads1" "$max_fds" "$max_threads" "$samples"
