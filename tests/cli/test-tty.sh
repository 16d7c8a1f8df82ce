#!/usr/bin/env bash
# The live view on a terminal: `clipline run -j 2` under a pseudo-terminal
# (script(1)), its output replayed through a small terminal model:
# - while the batch runs, one live line per item being built, both items at
#   once, with the phase (probe, encode, verify, publish), the percentage,
#   the speed and the ETA;
# - the log lines are never overwritten by the live lines: every "build"
#   line is on the final screen, and so is the summary;
# - at the end no live line is left on the screen.
# Usage: test-tty.sh CLIPLINE FIXTURES REPO
set -euo pipefail
clipline=$1 fixtures=$2 repo=$3
work=$(mktemp -d "${TMPDIR:-/tmp}/clipline-tty-XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "tty: FAIL: $*" >&2; exit 1; }
command -v script > /dev/null || fail "script(1) from util-linux is needed"
cd "$work"
export CLIPLINE_PRESETS=$repo/presets CLIPLINE_CACHE_DIR=$work/cache
cp "$fixtures/cam.mov" cam.mov
cat > job.json <<'JOB'
{ "destination": "out", "presets": ["web-360p", "web-480p"],
  "interviews": [ { "id": "cam", "source": "cam.mov", "clips": [
    { "name": "a", "in": 0, "duration": 1.2 }, { "name": "b", "in": 1.2, "duration": 1.2 },
    { "name": "c", "in": 2.4, "duration": 1.2 } ] } ] }
JOB
# stdout to the terminal as well; the live view is on stderr (progress auto: a terminal)
script -qfec "'$clipline' run job.json -j 2 --threads 1; echo \"exit=\$?\"" typescript > /dev/null < /dev/null \
  || fail "script(1) failed"
grep -q 'exit=0' typescript || { cat typescript; fail "the run failed"; }

python3 - typescript <<'PY'
import re, sys
data = open(sys.argv[1], "rb").read().decode("utf-8", "replace")
data = data.split("\n", 1)[1]                 # script's own header line
data = data.rsplit("\nScript done", 1)[0]
screen, row, col = [""], 0, 0
live_re = re.compile(r"^clipline: (cam/\w+): (probe|encode|verify|publish)\b(.*)$")
rate_re = re.compile(r" +\d+% \d+\.\d\dx ETA \d+:\d\d$")
most_at_once, phases, with_rate = 0, {}, set()

def look():
    global most_at_once
    items = set()
    for line in screen:
        m = live_re.match(line)
        if m:
            items.add(m.group(1))
            phases.setdefault(m.group(1), set()).add(m.group(2))
            if m.group(2) == "encode" and rate_re.search(m.group(3)):
                with_rate.add(m.group(1))
    most_at_once = max(most_at_once, len(items))

i = 0
while i < len(data):
    ch = data[i]
    if ch == "\x1b":
        m = re.match(r"\x1b\[(\d*)([A-Za-z])", data[i:])
        if not m:
            sys.exit("tty: FAIL: an unknown escape sequence: %r" % data[i:i + 8])
        n = int(m.group(1) or 1)
        if m.group(2) == "K":
            screen[row] = screen[row][:col]
        elif m.group(2) == "A":
            row = max(0, row - n)
        else:
            sys.exit("tty: FAIL: an unexpected escape sequence: %r" % m.group(0))
        i += len(m.group(0))
        continue
    if ch == "\r":
        col = 0
        look()
    elif ch == "\n":
        row += 1
        if row == len(screen):
            screen.append("")
    else:
        line = screen[row].ljust(col)
        screen[row] = line[:col] + ch + line[col + 1:]
        col += 1
    i += 1
look()

final = [l for l in screen if l.strip()]
errors = []
if most_at_once < 2:
    errors.append("never two items' live lines at once (most: %d)" % most_at_once)
for item in ("cam/a", "cam/b", "cam/c"):
    want = {"encode", "verify", "publish"}
    if not want <= phases.get(item, set()):
        errors.append("%s: phases seen %s, want at least %s" % (item, sorted(phases.get(item, [])), sorted(want)))
if not with_rate:
    errors.append("no encode line showed a percentage, speed and ETA")
leftover = [l for l in final if live_re.match(l) and "%" in l]
if leftover:
    errors.append("live lines left on the final screen: %s" % leftover)
for c in "abc":
    for p in ("web-360p", "web-480p"):
        want = "clipline: build cam/%s/%s.%s.mp4 (new output)" % (c, c, p)
        if want not in final:
            errors.append("a log line was overwritten or lost: %s" % want)
if "clipline: 3 items: 3 ok, 0 failed; 9 outputs built, 0 up to date" not in final:
    errors.append("the summary line is not on the final screen")
if errors:
    print("\n".join(final), file=sys.stderr)
    sys.exit("tty: FAIL: " + "; ".join(errors))
print("tty: ok (%d items live at once; phases %s; %d lines on the final screen)" %
      (most_at_once, sorted(set().union(*phases.values())), len(final)))
PY
