#!/usr/bin/env bash
# -j N: items built side by side. A batch of 8 items (5 good clips, two with
# impossible clip points, an unreadable recording) with -j 3:
# - exit 1; the summary counts 5 ok and 3 failed; each failed item carries
#   its own error (class and message) in the manifest, the JSON report and
#   the JUnit file, never another item's; the report lists the items in the
#   job's order;
# - every output is in the manifest with the sha256 of its file;
# - --progress json stays one whole JSON object per line;
# - a re-run with -j 3 builds nothing; --fail-fast -j 2 stops early.
# Usage: test-parallel.sh CLIPLINE FIXTURES REPO
set -euo pipefail
clipline=$1 fixtures=$2 repo=$3
work=$(mktemp -d "${TMPDIR:-/tmp}/clipline-parallel-XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "parallel: FAIL: $*" >&2; exit 1; }
cd "$work"
export CLIPLINE_PRESETS=$repo/presets
cp "$fixtures/cam.mov" cam.mov
cat > job.json <<'JOB'
{ "destination": "out", "presets": ["web-360p", "web-480p"],
  "interviews": [ { "id": "cam", "source": "cam.mov", "clips": [
    { "name": "a", "in": 0, "out": 1 }, { "name": "b", "in": 1, "out": 2 },
    { "name": "backwards", "in": 3, "out": 1 },
    { "name": "c", "in": 2, "out": 3 }, { "name": "d", "in": 3, "out": 4 },
    { "name": "what", "in": "half past" },
    { "name": "e", "in": 0.5, "out": 1.5 } ] },
  { "id": "lost", "source": "missing.mov" } ] }
JOB
rc=0
"$clipline" run -j 3 --progress json --report report.json --junit report.xml job.json > events.ndjson 2> run.log || rc=$?
[ "$rc" = 1 ] || { cat run.log; fail "exit $rc, want 1"; }
grep -q '8 items, 3 at a time' run.log || { cat run.log; fail "the run did not build 3 items at a time"; }
grep -q 'clipline: 8 items: 5 ok, 3 failed; 15 outputs built' run.log || { cat run.log; fail "the summary"; }
python3 - <<'PY' || fail "reports, manifest or progress"
import hashlib, json, os
want = {"backwards": ("config", 'clip "backwards": the out point'), "what": ("config", '"half past" is not a time'),
        "lost": ("input", 'interview "lost": missing.mov')}
r = json.load(open("report.json"))
assert [i["clip"] for i in r["items"]] == ["a", "b", "backwards", "c", "d", "what", "e", "lost"], [i["clip"] for i in r["items"]]
m = json.load(open("out/manifest.json"))
items = {i["clip"]: i for i in m["items"]}
for it in r["items"]:
    if it["clip"] in want:
        cls, text = want[it["clip"]]
        for where, e in (("report", it["error"]), ("manifest", items[it["clip"]]["error"])):
            assert e["class"] == cls and text in e["message"], (where, it["clip"], e)
    else:
        assert it["status"] == "ok" and items[it["clip"]]["status"] == "ok", it
junit = open("report.xml").read()
for clip, (cls, text) in want.items():
    assert text.replace('"', "&quot;") in junit, (clip, "not in the JUnit file")
assert len(m["outputs"]) == 15, len(m["outputs"])
for o in m["outputs"]:
    assert hashlib.sha256(open(os.path.join("out", o["path"]), "rb").read()).hexdigest() == o["sha256"], o["path"]
n = 0
for line in open("events.ndjson"):
    json.loads(line)
    n += 1
assert n > 20, n
PY
"$clipline" run -j 3 job.json 2> again.log || true
grep -q '0 outputs built, 15 up to date' again.log || { cat again.log; fail "the re-run built something"; }
rm -rf out
rc=0
"$clipline" run -j 2 --fail-fast job.json 2> ff.log || rc=$?
[ "$rc" = 1 ] || { cat ff.log; fail "--fail-fast: exit $rc, want 1"; }
done=$(grep -oE '[0-9]+ items: [0-9]+ ok' ff.log | head -1 | cut -d' ' -f1)
[ -n "$done" ] && [ "$done" -lt 8 ] || { cat ff.log; fail "--fail-fast -j 2 did not stop early"; }
echo "parallel: ok (-j 3: own errors per item, complete manifest, whole progress lines; re-run skips; --fail-fast stops at $done of 8)"
