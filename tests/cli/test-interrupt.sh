#!/usr/bin/env bash
# Interruptions never lose work nor publish half a file. A 4-clip batch is
# built once without interruption (the reference); then into a second
# destination it is stopped in the middle of clip 2's encode, by SIGINT
# (Ctrl-C), by SIGTERM and by SIGKILL, each time resumed by a plain re-run:
# - SIGINT and SIGTERM: exit 130, no temporary file left anywhere, the
#   manifest lists clip 1 and nothing of clip 2;
# - after any of the three: every file under a final name is complete (the
#   manifest's sha256) and the re-run skips what was finished;
# - in the end the outputs are byte for byte the reference's.
# Usage: test-interrupt.sh CLIPLINE FIXTURES REPO
set -euo pipefail
clipline=$1 fixtures=$2 repo=$3
work=$(mktemp -d "${TMPDIR:-/tmp}/clipline-interrupt-XXXXXX")
pid=
trap '[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null; rm -rf "$work"' EXIT
fail() { echo "interrupt: FAIL: $*" >&2; exit 1; }
cd "$work"
export CLIPLINE_PRESETS=$repo/presets
cp "$fixtures/cam.mov" cam.mov
cat > job.json <<'JOB'
{ "presets": ["web-720p", "web-480p"],
  "interviews": [ { "id": "cam", "source": "cam.mov", "clips": [
    { "name": "c1", "in": 0, "out": 4 }, { "name": "c2", "in": 0.5, "out": 4 },
    { "name": "c3", "in": 1, "out": 4 }, { "name": "c4", "in": 0, "out": 3.5 } ] } ] }
JOB
"$clipline" run -q --dest ref job.json 2> ref.log || { cat ref.log; fail "the reference run failed"; }

# the files under final names and their sha256, and the manifest's view of them
files() { (cd "$1" && find . -path ./.clipline-staging -prune -o -type f ! -name '*.json' ! -name index.html -print | sort); }
check_complete() {
  python3 - "$1" <<'PY' || fail "$2: a file under a final name is not what the manifest says"
import hashlib, json, os, sys
d = sys.argv[1]
m = json.load(open(os.path.join(d, "manifest.json")))
listed = {o["path"]: o["sha256"] for o in m["outputs"]}
for root, dirs, names in os.walk(d):
    dirs[:] = [x for x in dirs if x != ".clipline-staging"]
    for n in names:
        p = os.path.relpath(os.path.join(root, n), d)
        if n.endswith(".json") or n == "index.html":
            continue
        sha = hashlib.sha256(open(os.path.join(d, p), "rb").read()).hexdigest()
        if listed.get(p) != sha:
            sys.exit(f"{p}: not in the manifest or not complete")
PY
}

# interrupt SIGNAL: runs into out/, sends SIGNAL once clip 2 is encoding
interrupt() {
  local sig=$1 rc=0
  "$clipline" run --dest out --progress json job.json > "events-$sig.ndjson" 2> "run-$sig.log" &
  pid=$!
  for _ in $(seq 600); do
    grep -q '"event": *"progress".*"item": *"cam/c2".*"phase": *"encode"' "events-$sig.ndjson" 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  grep -q '"item": *"cam/c2".*"phase": *"encode"' "events-$sig.ndjson" || { cat "run-$sig.log"; fail "$sig: clip 2 never started encoding"; }
  kill "-$sig" "$pid"
  wait "$pid" || rc=$?
  pid=
  if [ "$sig" != KILL ]; then
    [ "$rc" = 130 ] || { cat "run-$sig.log"; fail "$sig: exit $rc, want 130"; }
    [ -z "$(find out -name '*.tmp*' -o -path '*/.clipline-staging/*' -type f)" ] || fail "$sig: temporary files left: $(find out -path '*/.clipline-staging/*' -type f)"
    python3 -c 'import json,sys; m=json.load(open("out/manifest.json")); st={i["clip"]: i["status"] for i in m["items"]}; assert st.get("c1") == "ok" and "c2" not in st, st; assert not [o for o in m["outputs"] if o["clip"] == "c2"]' \
      || fail "$sig: the manifest does not list exactly clip 1"
    [ ! -e out/cam/c2 ] || [ -z "$(files out/cam/c2)" ] || fail "$sig: clip 2 has files under final names"
  fi
  check_complete out "$sig"
  "$clipline" run --dest out job.json 2> "resume-$sig.log" || { cat "resume-$sig.log"; fail "$sig: the resumed run failed"; }
  grep -q 'skip  cam/c1/c1.web-720p.mp4 (up to date)' "resume-$sig.log" || { cat "resume-$sig.log"; fail "$sig: the resumed run rebuilt clip 1"; }
  check_complete out "$sig, resumed"
  diff <(cd ref && files . | xargs sha256sum) <(cd out && files . | xargs sha256sum) \
    || fail "$sig: the resumed outputs differ from the reference"
  echo "interrupt: $sig: stopped during clip 2, resumed; outputs identical to the reference"
  rm -rf out
}
interrupt INT
interrupt TERM
interrupt KILL
echo "interrupt: ok"
