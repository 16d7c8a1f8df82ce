#!/usr/bin/env bash
# Generates the media the CLI cases use, with mkmedia (libavfilter sources):
# nothing binary is committed. Usage: make-fixtures.sh MKMEDIA OUTDIR
set -euo pipefail
mk=$1
out=$2
mkdir -p "$out"
cd "$out"
gen() { "$mk" "$@" --quiet; }
# a camera-like 1080p30 recording with a tone, 4 s
[ -s cam.mov ] || gen cam.mov --duration 4 --video "testsrc2=size=1920x1080:rate=30" \
  --audio "sine=frequency=440:sample_rate=48000" --vopt preset=ultrafast
# a small 25 fps recording with a non-square pixel aspect and odd size
[ -s anamorphic.mp4 ] || gen anamorphic.mp4 --duration 2 --video "testsrc2=size=719x575:rate=25" \
  --sar 16:15 --audio "sine=frequency=330:sample_rate=44100" --vopt preset=ultrafast
# video only
[ -s silent.mp4 ] || gen silent.mp4 --duration 2 --video "testsrc2=size=640x360:rate=30" --vopt preset=ultrafast
# audio only
[ -s voice.m4a ] || gen voice.m4a --duration 2 --audio "sine=frequency=220:sample_rate=48000"
# small recordings that test-hostile.sh and test-paths.sh damage, cut and rename
# (320x240 at 25 fps with a tone): the index (moov) at the end, at the front
# (faststart), Matroska, 300 audio streams, and a longer one (10 s)
mkdir -p hostile
small() { gen "hostile/$1" --duration "$2" --video "testsrc2=size=320x240:rate=25" \
  --audio "sine=frequency=440:sample_rate=48000" --vopt preset=ultrafast "${@:3}"; }
[ -s hostile/good.mp4 ] || small good.mp4 3
[ -s hostile/faststart.mp4 ] || small faststart.mp4 3 --mopt movflags=+faststart
[ -s hostile/good.mkv ] || small good.mkv 3
[ -s hostile/long.mp4 ] || small long.mp4 10
[ -s hostile/streams.mkv ] || gen hostile/streams.mkv --duration 1 --video "testsrc2=size=320x240:rate=25" \
  --audio "sine=frequency=440:sample_rate=8000" --aopt b=16k --audio-copies 300 --vopt preset=ultrafast
# broken files
: > empty.mov
printf 'this is not a recording\n' > text.mov
head -c 65536 cam.mov > truncated.mov
echo "fixtures ready in $out"
# a translators' drop folder: English on the recording's timeline, French on
# clip part-1's own timeline, Arabic saved by an old editor in CP1256
mkdir -p subs
cat > subs/en.srt <<'SRT'
1
00:00:00,500 --> 00:00:01,500
Crosses the in point.

2
00:00:02,000 --> 00:00:02,500
Inside the clip.

3
00:00:02,800 --> 00:00:03,600
Crosses the out point.

4
00:00:03,700 --> 00:00:03,900
After the clip.
SRT
cat > subs/part-1.fr.vtt <<'VTT'
WEBVTT

00:00.200 --> 00:01.000
Déjà calé sur l'extrait.
VTT
printf '1\n00:00:01,200 --> 00:00:02,200\n%s\n' "بدائل الاحتجاز" | iconv -f UTF-8 -t CP1256 > subs/ar.srt
# a file with broken UTF-8 and no language in its name: never guessed
printf '1\n00:00:01,000 --> 00:00:02,000\nna\xefve caf\xe9\n' > broken.srt
# a Georgian translation, and a pinned font folder with only a Latin/Greek/Cyrillic font
mkdir -p subs-ka fonts-latin
printf '1\n00:00:01,200 --> 00:00:02,200\n%s\n' "ალტერნატივები" > subs-ka/ka.srt
ln -sf /usr/share/fonts/truetype/noto/NotoSans-Regular.ttf fonts-latin/NotoSans-Regular.ttf
# silence (until 1.2 s, from 5.2 s) and black frames (until 0.5 s, from 5 s) at both ends: trim_silence, trim_black
[ -s trim.mov ] || gen trim.mov --duration 6 \
  --video "testsrc2=s=320x180:r=30,drawbox=color=black:t=fill:enable='lt(t\,0.5)+gte(t\,5)'" \
  --audio "sine=f=440:r=48000,volume=volume=0:enable='lt(t\,1.2)+gte(t\,5.2)'"
