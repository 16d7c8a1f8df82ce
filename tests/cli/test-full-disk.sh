#!/usr/bin/env bash
# A full disk: the destination is a small tmpfs (its staging folder,
# .clipline-staging, is on it too). A 6-clip batch (web-360p, poster, an
# English sidecar and soft track) is built once on the ordinary disk (the
# reference), then into a tmpfs where the first clips fit and the later ones
# do not:
# - the items that hit ENOSPC fail with an error naming the file being
#   written and "No space left on device", recorded in the manifest (class
#   storage); the batch goes on and ends with exit status 75 (only the
#   destination failed: the same command again builds what is missing);
# - the destination stays consistent: no temporary file (.part, .tmp) nor
#   staging folder left, manifest.json is valid JSON and every output it
#   lists is there with its bytes and sha256, and every file under a final
#   name is byte for byte the reference's (nothing half-written);
# - once the tmpfs is made bigger, a re-run completes the batch (exit 0), the
#   files byte for byte the reference's.
# Then the manifest itself cannot be written: a 7th clip is added and the
# disk filled so that the clip's media fit and manifest.json does not: exit
# 75, the error names manifest.json and "No space left on device", the
# manifest.json there is the previous one, whole, and every output it lists is
# intact; freed, a re-run lists the 7th clip.
# Skipped (exit 77) where tmpfs cannot be mounted (not root, no CAP_SYS_ADMIN).
# Usage: test-full-disk.sh CLIPLINE FIXTURES REPO MKMEDIA
set -euo pipefail
clipline=$1 repo=$3 mkmedia=$4
work=$(mktemp -d "${TMPDIR:-/tmp}/clipline-full-disk-XXXXXX")
cleanup() {
  mountpoint -q "$work/out" 2>/dev/null && umount "$work/out"
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "full-disk: FAIL: $*" >&2; exit 1; }
. "$(dirname "$0")/lib.sh"
cd "$work"
export CLIPLINE_PRESETS=$repo/presets CLIPLINE_CACHE_DIR=$work/cache
mkdir out
if ! mount -t tmpfs -o size=1m tmpfs out 2> mount.log; then
  echo "full-disk: SKIP: cannot mount a tmpfs here ($(cat mount.log))"
  exit 77
fi
umount out

"$mkmedia" src.mp4 --duration 9 --video "testsrc2=size=320x240:rate=25" \
  --audio "sine=frequency=440:sample_rate=48000" --vopt preset=ultrafast --quiet
mkdir subs
printf '1\n00:00:00,000 --> 00:00:20,000\nAlternatives to detention work.\n' > subs/en.srt
# job N: clips c0..c(N-1), 1.2 s each (30 frames)
job() {
  local clips="" k
  for k in $(seq 0 $(($1 - 1))); do
    clips="$clips${clips:+, }{ \"name\": \"c$k\", \"in\": $(awk -v k="$k" 'BEGIN { print k * 1.2 }'), \"duration\": 1.2 }"
  done
  printf '{ "presets": ["web-360p"],\n  "interviews": [ { "id": "iv", "source": "src.mp4", "subtitles": "subs", "clips": [ %s ] } ] }\n' "$clips"
}
job 6 > job6.json
job 7 > job7.json
"$clipline" run -q --dest ref job7.json 2> ref.log || { cat ref.log; fail "the reference run failed"; }

pages() { # 4 KiB pages the files take on a tmpfs
  local n=0 f s
  for f in "$@"; do s=$(stat -c %s "$f"); n=$((n + (s + 4095) / 4096)); done
  echo "$n"
}
clip_pages() { pages ref/iv/"$1"/*; }

# consistent OUT WHEN: no temporary file nor staging left; manifest.json valid and
# true; every file under a final name (manifests aside) is the reference's
consistent() {
  local d=$1 when=$2 left
  left=$(find "$d" \( -name '*.part' -o -name '*.tmp' -o -name '.clipline-staging' \) | head -5)
  [ -z "$left" ] || fail "$when: left at the destination: $left"
  python3 - "$d" ref <<'PY' || fail "$when: the destination is not consistent"
import hashlib, json, os, sys
d, ref = sys.argv[1], sys.argv[2]
m = json.load(open(os.path.join(d, "manifest.json")))
for o in m["outputs"]:
    p = os.path.join(d, o["path"])
    assert os.path.isfile(p), (o["path"], "listed but missing")
    data = open(p, "rb").read()
    assert len(data) == o["bytes"] and hashlib.sha256(data).hexdigest() == o["sha256"], (o["path"], "not what the manifest says")
for root, dirs, names in os.walk(d):
    for n in names:
        rel = os.path.relpath(os.path.join(root, n), d)
        if n.endswith(".json") or n == "index.html":
            json.load(open(os.path.join(d, rel))) if n.endswith(".json") else None
            continue
        want = os.path.join(ref, rel)
        assert os.path.isfile(want), (rel, "not an output of the reference")
        assert open(want, "rb").read() == open(os.path.join(d, rel), "rb").read(), (rel, "differs from the reference (half-written?)")
PY
}

# 1. a destination too small for the whole batch: c0..c2 fit (with the
# manifests), c3's media do not
fit=$(( $(clip_pages c0) + $(clip_pages c1) + $(clip_pages c2) ))
size=$(( fit + 2 * $(pages ref/manifest.json) + $(pages ref/index.html) + $(pages ref/iv/c3/c3.web-360p.mp4) / 2 ))
mount -t tmpfs -o "size=$((size * 4))k" tmpfs out
rc=0
"$clipline" run --dest out --report full.json job6.json > /dev/null 2> full.log || rc=$?
[ "$rc" = 75 ] || { cat full.log; fail "a full destination: exit $rc, want 75"; }
grep -q 'clipline: 6 items: [1-5] ok, [1-5] failed' full.log || { cat full.log; fail "a full destination: the summary"; }
grep -E '^clipline: error: .*out/\.clipline-staging/[^ ]+\.part.*: No space left on device$' full.log | head -1 > enospc.txt
[ -s enospc.txt ] || { cat full.log; fail "no error naming the file and \"No space left on device\""; }
python3 - <<'PY' || fail "a full destination: manifest and report"
import json
m = json.load(open("out/manifest.json"))
r = json.load(open("full.json"))
items = {i["clip"]: i for i in m["items"]}
assert sorted(items) == ["c0", "c1", "c2", "c3", "c4", "c5"], sorted(items)
assert [items[c]["status"] for c in ("c0", "c1", "c2")] == ["ok"] * 3, items
failed = [i for i in m["items"] if i["status"] == "failed"]
assert failed and items["c3"]["status"] == "failed", items["c3"]
for i in failed:
    e = i["error"]
    assert e["class"] == "storage" and "No space left on device" in e["message"] and ".part" in e["message"], i
assert {i["clip"]: i["status"] for i in r["items"]} == {c: items[c]["status"] for c in items}, "the report differs"
PY
consistent out "a full destination"
failed=$(grep -c '^clipline: error: .*No space left on device$' full.log || true)

# 2. more room: the same command completes the batch
mount -o remount,size=16m out
"$clipline" run --dest out job6.json 2> again.log || { cat again.log; fail "the re-run after freeing space failed"; }
grep -q 'clipline: 6 items: 6 ok, 0 failed' again.log || { cat again.log; fail "the re-run: the summary"; }
consistent out "after the re-run"
[ "$(python3 -c 'import json; print(len(json.load(open("out/manifest.json"))["outputs"]))')" = 18 ] \
  || fail "the re-run's manifest does not list 18 outputs"

# 3. manifest.json cannot be written: a 7th clip whose media and clip manifest fit, one page more
cp out/manifest.json manifest-before.json
free=$(stat -f -c '%a' out) bsize=$(stat -f -c '%S' out)
[ "$bsize" = 4096 ] || fail "tmpfs blocks of $bsize bytes"
room=$(( $(clip_pages c6) + 1 ))
[ "$(pages out/manifest.json)" -ge 3 ] || fail "manifest.json is too small for the test ($(stat -c %s out/manifest.json) bytes)"
head -c $(( (free - room) * 4096 )) /dev/zero > out/filler 2> /dev/null || true
[ "$(stat -f -c '%a' out)" = "$room" ] || fail "could not leave $room pages free ($(stat -f -c '%a' out) left)"
rc=0
"$clipline" run --dest out job7.json 2> manifest.log || rc=$?
rm out/filler
[ "$rc" = 75 ] || { cat manifest.log; fail "manifest.json not written: exit $rc, want 75"; }
grep -qE '^clipline: error: cannot write [^ ]*out/\.clipline-staging/[^ ]*-manifest\.json\.part: No space left on device$' manifest.log \
  || { cat manifest.log; fail "no error naming manifest.json and \"No space left on device\""; }
grep -q 'iv/c6: wrote iv/c6/c6.web-360p.mp4' manifest.log || { cat manifest.log; fail "c6's media were not written first"; }
cmp -s manifest-before.json out/manifest.json || fail "manifest.json changed though it could not be written"
consistent out "manifest.json not written"
"$clipline" run --dest out job7.json 2> last.log || { cat last.log; fail "the re-run after the manifest failed"; }
grep -q 'clipline: 7 items: 7 ok, 0 failed' last.log || { cat last.log; fail "the last re-run: the summary"; }
consistent out "in the end"
same_tree ref out || fail "in the end the destination is not the reference's"
echo "full-disk: ok: a $((size * 4)) KiB destination: $failed files could not be written, e.g. \"$(sed 's/^clipline: error: //' enospc.txt)\"; exit 75, nothing half-written; bigger: completed; manifest.json not written: exit 75, the previous one kept; freed: completed, byte for byte the reference"
