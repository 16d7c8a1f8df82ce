#!/usr/bin/env bash
# Runs one CLI case kept as data (tests/cli/cases/NAME.case):
#   args: ARGUMENTS       command line after `clipline` (word-split; @F = a copy of jobs/F)
#   exit: N               expected exit code
#   stdout: TEXT          stdout must contain TEXT (repeatable)
#   stderr: TEXT          stderr must contain TEXT (repeatable)
#   not-stderr: TEXT      stderr must not contain TEXT
#   exists: PATH          file that must exist afterwards (relative to the work dir)
#   absent: PATH          file that must not exist afterwards (globs allowed)
#   contains: PATH :: TEXT  file PATH (relative to the work dir) must contain TEXT
#   run-first: ARGUMENTS  a command run before the case (its result is not checked)
# Media fixtures are reachable as media/ (made by make-fixtures.sh).
# Usage: run-case.sh CLIPLINE CASEFILE JOBSDIR FIXTURES
set -uo pipefail
clipline=$1 case=$2 jobs=$3 fixtures=$4
name=$(basename "$case" .case)
work=$(mktemp -d "${TMPDIR:-/tmp}/clipline-case-$name-XXXXXX")
trap 'rm -rf "$work"' EXIT
ln -s "$fixtures" "$work/media"
fail=0
say() { echo "$name: $*" >&2; fail=1; }

expand() { # replaces @file with a copy of jobs/file in the work dir
  local out=() w
  for w in $1; do
    if [[ $w == @* ]]; then
      cp "$jobs/${w#@}" "$work/${w#@}"
      out+=("$work/${w#@}")
    else
      out+=("$w")
    fi
  done
  printf '%s\n' "${out[@]}"
}

want_exit=0
mapfile -t lines < "$case"
for l in "${lines[@]}"; do
  case $l in
    run-first:*) mapfile -t pre < <(expand "${l#run-first: }"); (cd "$work" && "$clipline" "${pre[@]}" >/dev/null 2>&1) ;;
  esac
done
args_line=$(grep -m1 '^args:' "$case" | sed 's/^args: *//')
args=()
[ -n "$args_line" ] && mapfile -t args < <(expand "$args_line")
(cd "$work" && "$clipline" ${args[@]+"${args[@]}"} >"$work/.stdout" 2>"$work/.stderr")
got=$?
for l in "${lines[@]}"; do
  key=${l%%:*}
  val=${l#*: }
  case $key in
    exit) want_exit=$val ;;
    stdout) grep -qF -- "$val" "$work/.stdout" || say "stdout lacks: $val" ;;
    stderr) grep -qF -- "$val" "$work/.stderr" || say "stderr lacks: $val" ;;
    not-stderr) ! grep -qF -- "$val" "$work/.stderr" || say "stderr has: $val" ;;
    exists) [ -e "$work/$val" ] || say "missing file: $val" ;;
    absent) (cd "$work" && compgen -G "$val" >/dev/null) && say "unexpected file: $val" ;;
    contains) f=${val%% :: *} t=${val#* :: }
      grep -qF -- "$t" "$work/$f" 2>/dev/null || say "$f lacks: $t" ;;
  esac
done
[ "$got" = "$want_exit" ] || say "exit code $got, expected $want_exit"
if [ $fail -ne 0 ]; then
  echo "--- stdout" >&2; cat "$work/.stdout" >&2
  echo "--- stderr" >&2; cat "$work/.stderr" >&2
  exit 1
fi
echo "$name: ok"
