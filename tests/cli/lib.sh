# Shell helpers the CLI test scripts share (sourced, never run).

# timecode_video WxH RATE [OFFSET]: a libavfilter source graph whose every
# frame carries its number (plus OFFSET) as a 16-bit barcode on grey in the
# top quarter, least significant bit on the left (tests/tools/avsync reads it).
timecode_video() {
  local w=${1%x*} h=${1#*x} v k
  v="color=c=0x808080:s=$1:r=$2"
  for k in $(seq 0 15); do
    v="$v,drawbox=x=$((k * w / 16)):y=0:w=$((w / 16)):h=$((h / 4)):color=white:t=fill"
    v="$v:enable='mod(floor((n+${3:-0})/pow(2\,$k))\,2)'"
  done
  printf '%s\n' "$v"
}

# burn_agrees NAME BURNED CLEAN VTT FRAMES: for every frame, the subtitle band
# (bottom quarter) of the burned rendition differs from the clean one exactly
# while a cue of the WebVTT sidecar is active (the band's largest luma
# difference: about 210 where white text is drawn, under 70 elsewhere);
# frames within 1.5 frames of a cue's edge are not judged. Measured with
# ffprobe's lavfi input (an outside reference), never the ffmpeg program.
burn_agrees() {
  local name=$1 burned=$2 clean=$3 vtt=$4 frames=$5 tmp
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/burn-agrees-XXXXXX")
  ffprobe -v error -f lavfi -i "movie=$burned[a];movie=$clean[b];[a][b]blend=all_mode=difference,crop=iw:ih/4:0:ih*3/4,signalstats" \
    -show_entries frame=pts_time:frame_tags=lavfi.signalstats.YMAX -of csv=p=0 | grep . > "$tmp/diff.csv"
  if [ "$(wc -l < "$tmp/diff.csv")" -ne "$frames" ]; then
    echo "$name: $(wc -l < "$tmp/diff.csv") frames compared, want $frames" >&2; rm -rf "$tmp"; return 1
  fi
  grep -- '-->' "$vtt" | awk '{ split($1, a, ":"); split($3, b, ":");
      print a[1]*3600 + a[2]*60 + a[3], b[1]*3600 + b[2]*60 + b[3] }' > "$tmp/cues.txt"
  if [ ! -s "$tmp/cues.txt" ]; then
    echo "$name: the sidecar has no cues" >&2; rm -rf "$tmp"; return 1
  fi
  awk -v name="$name" -v frames="$frames" 'NR == FNR { s[NR] = $1; e[NR] = $2; n = NR; next }
    { split($0, f, ","); t = f[1]; y = f[2]; active = 0; edge = 0
      for (i = 1; i <= n; i++) {
        if (t >= s[i] && t < e[i]) active = 1
        if ((t - s[i])^2 < (1.5/30)^2 || (t - e[i])^2 < (1.5/30)^2) edge = 1 }
      if (edge) next
      if (active && y < 150) { print name ": no burned text at " t " s while a cue is active (" y ")"; bad = 1 }
      if (!active && y > 120) { print name ": burned text at " t " s with no cue active (" y ")"; bad = 1 }
      checked++ }
    END { if (checked < frames * 2 / 3) { print name ": only " checked " frames checked"; bad = 1 }; exit bad }' \
    "$tmp/cues.txt" "$tmp/diff.csv" >&2
  local rc=$?
  rm -rf "$tmp"
  return $rc
}

# presets_with_ladder DIR REPO RUNG...: the project's presets copied into DIR,
# with the HLS ladder made of the given rungs only (a short ladder keeps a test
# quick); fails when the ladder could not be set.
presets_with_ladder() {
  local dir=$1 repo=$2 rungs; shift 2
  rungs=$(printf '"%s", ' "$@")
  rungs="[${rungs%, }]"
  mkdir -p "$dir" && cp "$repo"/presets/*.json "$dir"/
  sed -i "s/\"rungs\": *\[[^]]*\]/\"rungs\": $rungs/" "$dir/hls.json"
  grep -qF "\"rungs\": $rungs" "$dir/hls.json" || { echo "cannot set the ladder's rungs to $rungs" >&2; return 1; }
}

# same_tree A B: B holds exactly A's files (hidden ones too), each byte for
# byte; prints the first difference and fails otherwise.
same_tree() {
  local f
  diff <(cd "$1" && find . -type f | sort) <(cd "$2" && find . -type f | sort) >&2 \
    || { echo "$2: not the files of $1" >&2; return 1; }
  while IFS= read -r f; do
    cmp -s "$1/$f" "$2/$f" || { diff "$1/$f" "$2/$f" 2>/dev/null | head -20 >&2; echo "$2: $f differs from $1's" >&2; return 1; }
  done < <(cd "$1" && find . -type f | sort)
}
