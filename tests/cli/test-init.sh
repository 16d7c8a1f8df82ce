#!/usr/bin/env bash
# clipline init DIR: a starter job for the recordings found, usable as it is
# by `plan`; never overwrites; an empty folder is a clear error.
# Usage: test-init.sh CLIPLINE FIXTURES REPO
set -euo pipefail
clipline=$1 fixtures=$2 repo=$3
work=$(mktemp -d "${TMPDIR:-/tmp}/clipline-init-XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "init: FAIL: $*" >&2; exit 1; }
export CLIPLINE_PRESETS=$repo/presets
mkdir -p "$work/day one/subs/cam" "$work/empty"
ln -s "$fixtures/cam.mov" "$work/day one/cam.mov"
ln -s "$fixtures/silent.mp4" "$work/day one/entrevista ქართული.mp4"
cp "$fixtures/subs/en.srt" "$work/day one/subs/cam/en.srt"
echo notes > "$work/day one/notes.txt"
"$clipline" init "$work/day one" >"$work/out" 2>"$work/err" || { cat "$work/err"; fail "init failed"; }
job="$work/day one/job.json"
[ "$(cat "$work/out")" = "$job" ] || fail "printed $(cat "$work/out")"
grep -q '"id": "cam"' "$job" || fail "no cam interview"
grep -q '"subtitles": "subs/cam"' "$job" || fail "subtitle folder not found"
grep -q '"id": "entrevista ქართული"' "$job" || fail "non-Latin name lost"
! grep -q notes "$job" || fail "a text file was taken as a recording"
"$clipline" plan "$job" 2>"$work/plan" || { cat "$work/plan"; fail "plan of the starter job failed"; }
grep -q "2 items" "$work/plan" || fail "plan: $(cat "$work/plan")"
before=$(sha256sum "$job")
if "$clipline" init "$work/day one" 2>"$work/err2"; then fail "second init succeeded"; fi
grep -q "already exists" "$work/err2" || fail "second init: $(cat "$work/err2")"
[ "$(sha256sum "$job")" = "$before" ] || fail "job.json was overwritten"
set +e
"$clipline" init "$work/empty" 2>"$work/err3"; code=$?
set -e
[ $code -eq 2 ] || fail "empty folder: exit $code"
grep -q "no recordings found" "$work/err3" || fail "empty folder: $(cat "$work/err3")"
echo "init: ok"
