#!/usr/bin/env node
// player-test.js: clipline's outputs in a real player (Debian's Chromium, driven
// by playwright-core), against pages served by serve.js on 127.0.0.1.
//
//   node player-test.js --base http://127.0.0.1:PORT --out DIR --clip expert-01/module-1
//        --clip-length SECONDS --fps-file FILE --ableplayer-dir DIR --results-dir DIR
//        --profile DIR [--chromium /usr/bin/chromium] [--deadline SECONDS]
//
// --out is the served destination folder (its manifest.json and files are read
// here too); the server serves it at /, this folder's player.html at /__test__/,
// hls.js at /__vendor__/hls.js and --ableplayer-dir at /__ableplayer__/.
// --fps-file: JSON {"<output path>": fps} (from `clipline probe`), for the
// one-frame duration tolerance.
//
// Checks (every failure is collected, printed and makes the exit code 1):
//  1. every MP4 rendition of the clip: loads, plays (muted, 16x) to 'ended'; its
//     duration equals --clip-length and the manifest's duration_s within one
//     frame; videoWidth/videoHeight equal the manifest's width/height; a decoded
//     frame is not blank.
//  2. HLS: hls.js plays hls/master.m3u8 to the end; the levels it parsed equal the
//     master playlist's rungs (and the manifest's renditions); two forced switches
//     to other rungs each give LEVEL_SWITCHED and a videoHeight change.
//  3. the clip's WebVTT sidecar as a <track>: Chromium's cues equal the file's
//     timing lines to the millisecond (count, start, end) and their text.
//  4. every ableplayer .vtt as a <track>: Chromium's cue count and timings,
//     written to <results-dir>/chromium-vtt-cues.json (paulallen_de.vtt: 38).
//  5. a PNG screenshot of the video with a subtitle showing:
//     <results-dir>/subtitle-frame.png.
//  6. the review page (index.html): the clip's section offers every video
//     rendition and every sidecar language; a chosen rendition plays; choosing
//     each language shows only its track, and its first cue appears.
// All results go to <results-dir>/browser-results.json.
'use strict';
const fs = require('fs');
const path = require('path');

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
for (const k of ['base', 'out', 'clip', 'clip-length', 'fps-file', 'ableplayer-dir', 'results-dir', 'profile']) {
  if (!args[k]) {
    console.error(`player-test.js: --${k} is required`);
    process.exit(2);
  }
}
const base = args.base.replace(/\/$/, '');
if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(base)) {
  console.error('player-test.js: --base must be http://127.0.0.1:PORT');
  process.exit(2);
}
const outDir = args.out;
const clip = args.clip;
const clipName = path.basename(clip);
const clipLength = parseFloat(args['clip-length']);
const fpsOf = JSON.parse(fs.readFileSync(args['fps-file'], 'utf8'));
const resultsDir = args['results-dir'];
const chromiumPath = args.chromium || '/usr/bin/chromium';
const deadline = parseFloat(args.deadline || '90');

const failures = [];
const tStart = Date.now();
const elapsed = () => `[${((Date.now() - tStart) / 1000).toFixed(1)} s]`;
const results = { clip, clip_length_s: clipLength, renditions: [], hls: null, sidecar: null, ableplayer: null };
function check(cond, msg) {
  if (!cond) {
    failures.push(msg);
    console.log(`  FAIL ${msg}`);
  }
  return cond;
}
// Node-side bound around anything that waits on the browser.
function bounded(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms); }),
  ]).finally(() => clearTimeout(timer));
}

// "HH:MM:SS.mmm" or "MM:SS.mmm" -> milliseconds
function vttTimeMs(t) {
  const m = /^(?:(\d+):)?(\d{2}):(\d{2})\.(\d{3})$/.exec(t);
  if (!m) throw new Error(`bad WebVTT time '${t}'`);
  return ((parseInt(m[1] || '0', 10) * 60 + parseInt(m[2], 10)) * 60 + parseInt(m[3], 10)) * 1000 + parseInt(m[4], 10);
}
// The cues of a WebVTT file as the test reads it: each timing line and the payload
// lines after it, up to a blank line.
function parseVttTimings(text) {
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  const cues = [];
  const re = /^((?:\d+:)?\d{2}:\d{2}\.\d{3})[ \t]+-->[ \t]+((?:\d+:)?\d{2}:\d{2}\.\d{3})(?:[ \t].*)?$/;
  for (let i = 0; i < lines.length; i++) {
    const m = re.exec(lines[i]);
    if (!m) continue;
    const payload = [];
    for (i++; i < lines.length && lines[i] !== ''; i++) payload.push(lines[i]);
    cues.push({ start_ms: vttTimeMs(m[1]), end_ms: vttTimeMs(m[2]), text: payload.join('\n') });
  }
  return cues;
}
function parseMaster(text) {
  const rungs = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].startsWith('#EXT-X-STREAM-INF:')) continue;
    const attr = lines[i].slice('#EXT-X-STREAM-INF:'.length);
    const get = (k) => {
      const m = new RegExp(`(?:^|,)${k}=("[^"]*"|[^,]*)`).exec(attr);
      return m ? m[1].replace(/^"|"$/g, '') : null;
    };
    const [w, h] = (get('RESOLUTION') || '0x0').split('x').map(Number);
    rungs.push({ bandwidth: Number(get('BANDWIDTH')), width: w, height: h, codecs: get('CODECS'), uri: lines[i + 1] });
  }
  return rungs;
}

async function main() {
  const { chromium } = require('playwright-core');
  const manifest = JSON.parse(fs.readFileSync(path.join(outDir, clip, 'manifest.json'), 'utf8'));
  const outputs = manifest.outputs;

  console.log(`launching ${chromiumPath}`);
  const context = await bounded(chromium.launchPersistentContext(args.profile, {
    executablePath: chromiumPath,
    headless: true,
    timeout: 30000,
    viewport: { width: 800, height: 600 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--autoplay-policy=no-user-gesture-required', '--disable-dev-shm-usage'],
  }), 40000, 'launching Chromium');
  try {
    results.chromium = context.browser() ? context.browser().version() : null;
    const page = context.pages()[0] || await context.newPage();
    page.setDefaultTimeout(20000);
    page.on('console', (m) => { if (m.type() === 'error') console.log(`  [page console.error] ${m.text()}`); });
    page.on('pageerror', (e) => check(false, `page error: ${e.message}`));
    // Nothing but the loopback server: any other request is aborted and a failure.
    await page.route('**/*', (route) => {
      const u = route.request().url();
      if (u.startsWith(base + '/') || u.startsWith('blob:') || u.startsWith('data:')) return route.continue();
      check(false, `request outside the test server: ${u}`);
      return route.abort();
    });
    await page.goto(`${base}/__test__/player.html`, { timeout: 15000 });
    const ua = await page.evaluate(() => navigator.userAgent);
    results.user_agent = ua;
    console.log(`Chromium ${results.chromium}; hls.js ${await page.evaluate(() => window.Hls && Hls.version)}`);

    // ---- 1. every file rendition (MP4 with H.264/AAC, WebM with AV1/Opus) -------
    const mp4s = outputs.filter((o) => o.kind === 'video' && /^video\/(mp4|webm)$/.test(o.mime) && !o.path.includes('/hls/'));
    check(mp4s.filter((o) => o.mime === 'video/mp4').length >= 4, `expected at least 4 MP4 renditions in the manifest`);
    check(mp4s.some((o) => o.mime === 'video/webm'), 'expected a WebM (webm-av1) rendition in the manifest');
    for (const o of mp4s) {
      const url = `${base}/${o.path}`;
      console.log(`${elapsed()} == ${o.mime} ${o.path} (${o.preset}, manifest ${o.width}x${o.height}, ${o.duration_s} s)`);
      const r = await bounded(page.evaluate(async (url) => {
        const v = newVideo();
        try {
          v.src = url;
          await waitEvent(v, 'loadeddata', 15000, url);
          const meta = { duration: v.duration, videoWidth: v.videoWidth, videoHeight: v.videoHeight };
          meta.first_frame_stddev = frameStddev(v);
          v.playbackRate = 16;
          const ended = waitEvent(v, 'ended', 20000, url);
          const t0 = performance.now();
          await v.play();
          await ended;
          const q = v.getVideoPlaybackQuality();
          return { ...meta, ended: v.ended, currentTime: v.currentTime, duration_at_end: v.duration,
            play_ms: Math.round(performance.now() - t0), total_video_frames: q.totalVideoFrames,
            error: v.error ? v.error.code : null };
        } catch (e) {
          return { exception: String(e.message || e) };
        } finally {
          v.removeAttribute('src'); v.load(); v.remove();
        }
      }, url), 40000, `playing ${o.path}`);
      const fps = fpsOf[o.path];
      const frame = fps ? 1 / fps : NaN;
      r.path = o.path; r.preset = o.preset; r.fps = fps;
      r.manifest = { width: o.width, height: o.height, duration_s: o.duration_s };
      results.renditions.push(r);
      console.log(`  ${JSON.stringify(r)}`);
      if (!check(!r.exception, `${o.path}: ${r.exception}`)) continue;
      check(fps > 0, `${o.path}: no frame rate from clipline probe`);
      check(r.ended === true, `${o.path}: did not reach 'ended'`);
      check(Math.abs(r.duration - clipLength) <= frame + 1e-6,
        `${o.path}: duration ${r.duration} s, the clip is ${clipLength} s (tolerance one frame, ${frame.toFixed(4)} s)`);
      check(Math.abs(r.duration - o.duration_s) <= frame + 1e-6,
        `${o.path}: duration ${r.duration} s, the manifest says ${o.duration_s} s`);
      check(Math.abs(r.currentTime - r.duration) <= frame + 1e-6,
        `${o.path}: ended at currentTime ${r.currentTime} s, duration ${r.duration} s`);
      check(r.videoWidth === o.width && r.videoHeight === o.height,
        `${o.path}: videoWidth x videoHeight ${r.videoWidth}x${r.videoHeight}, the manifest says ${o.width}x${o.height}`);
      check(r.first_frame_stddev > 2, `${o.path}: the first decoded frame is blank (luma stddev ${r.first_frame_stddev})`);
      check(r.total_video_frames > 0, `${o.path}: Chromium decoded no video frames`);
    }

    // ---- 2. HLS with hls.js ------------------------------------------------------
    const master = outputs.find((o) => o.kind === 'playlist' && /\/hls\/master\.m3u8$/.test(o.path));
    if (check(master, 'no hls/master.m3u8 in the manifest')) {
      const rungs = parseMaster(fs.readFileSync(path.join(outDir, master.path), 'utf8'));
      console.log(`${elapsed()} == HLS ${master.path}: ${rungs.length} rungs in the master playlist`);
      const h = await bounded(page.evaluate(async (url) => {
        const out = { levels: null, switches: [], forced: [], resizes: [], errors: [], hls_supported: Hls.isSupported() };
        if (!out.hls_supported) return out;
        const v = newVideo();
        const hls = new Hls({ startLevel: 0, capLevelToPlayerSize: false, enableWorker: true, debug: false });
        try {
          hls.on(Hls.Events.ERROR, (_, d) => out.errors.push({ type: d.type, details: d.details, fatal: d.fatal,
            t: v.currentTime, reason: d.reason || (d.error && String(d.error.message)) || null }));
          hls.on(Hls.Events.LEVEL_SWITCHED, (_, d) => out.switches.push({ level: d.level, t: v.currentTime }));
          v.addEventListener('resize', () => out.resizes.push({ w: v.videoWidth, h: v.videoHeight, t: v.currentTime }));
          const parsed = new Promise((res) => hls.once(Hls.Events.MANIFEST_PARSED, (_, d) => res(d)));
          hls.loadSource(url);
          hls.attachMedia(v);
          await Promise.race([parsed, new Promise((_, rej) => setTimeout(() => rej(new Error('no MANIFEST_PARSED within 10 s')), 10000))]);
          out.levels = hls.levels.map((l) => ({ width: l.width, height: l.height, bitrate: l.bitrate,
            videoCodec: l.videoCodec, audioCodec: l.audioCodec, url: l.url[0] || l.uri }));
          const fatal = () => out.errors.some((e) => e.fatal);
          v.playbackRate = 4;
          const ended = waitEvent(v, 'ended', 30000, 'HLS');
          await v.play();
          // A forced switch: to `target`, then LEVEL_SWITCHED with it and the
          // picture's height changes to the rung's.
          const force = async (target, why) => {
            const f = { from_height: v.videoHeight, target, target_height: hls.levels[target].height, at: v.currentTime, why };
            out.forced.push(f);
            const switched = new Promise((res) => {
              const on = (_, d) => { if (d.level === target) { hls.off(Hls.Events.LEVEL_SWITCHED, on); res(); } };
              hls.on(Hls.Events.LEVEL_SWITCHED, on);
            });
            hls.currentLevel = target; // immediate switch: flushes the buffer, loads the new rung
            await Promise.race([switched, new Promise((_, rej) => setTimeout(() => rej(new Error(`no LEVEL_SWITCHED to level ${target} within 10 s`)), 10000))]);
            f.switched_at = v.currentTime;
            await waitFor(() => v.videoHeight === f.target_height || fatal(), 10000, `videoHeight ${f.target_height} after the switch to level ${target}`);
            f.height_after = v.videoHeight;
            f.height_at = v.currentTime;
          };
          await waitFor(() => (v.currentTime > 0.5 && v.videoHeight > 0) || fatal(), 10000, 'HLS playback start');
          out.start_height = v.videoHeight;
          const other = (h) => { // the highest rung whose height differs from h
            for (let i = hls.levels.length - 1; i >= 0; i--) if (hls.levels[i].height !== h) return i;
            return -1;
          };
          const highest = hls.levels.length - 1;
          await force(v.videoHeight === hls.levels[highest].height ? 0 : highest, 'first segment');
          await waitFor(() => v.currentTime > 6.5 || fatal(), 15000, 'HLS playback into the second segment');
          // down to a middle rung (not the one playing)
          let mid = Math.floor(hls.levels.length / 2);
          if (hls.levels[mid].height === v.videoHeight) mid = other(v.videoHeight);
          await force(mid, 'second segment');
          await ended;
          out.ended = v.ended;
          out.currentTime = v.currentTime;
          out.duration = v.duration;
          out.buffered = Array.from({ length: v.buffered.length }, (_, i) => [v.buffered.start(i), v.buffered.end(i)]);
          const q = v.getVideoPlaybackQuality();
          out.total_video_frames = q.totalVideoFrames;
          out.dropped_video_frames = q.droppedVideoFrames;
        } catch (e) {
          out.exception = String(e.message || e);
          out.currentTime = v.currentTime;
        } finally {
          hls.destroy();
          v.remove();
        }
        return out;
      }, `${base}/${master.path}`), 60000, 'HLS playback');
      h.master_rungs = rungs;
      results.hls = h;
      console.log(`  levels: ${JSON.stringify(h.levels)}`);
      console.log(`  LEVEL_SWITCHED: ${JSON.stringify(h.switches)}`);
      console.log(`  forced: ${JSON.stringify(h.forced)}`);
      console.log(`  resizes: ${JSON.stringify(h.resizes)}`);
      console.log(`  ended ${h.ended} at ${h.currentTime} / duration ${h.duration}; frames ${h.total_video_frames} (dropped ${h.dropped_video_frames})`);
      if (h.errors.length) console.log(`  hls.js errors: ${JSON.stringify(h.errors)}`);
      if (check(h.hls_supported, 'Hls.isSupported() is false in Chromium')) {
        check(!h.exception, `HLS: ${h.exception}`);
        const fatal = h.errors.filter((e) => e.fatal);
        check(fatal.length === 0, `HLS: fatal hls.js errors: ${JSON.stringify(fatal)}`);
        check(rungs.length === 4, `the master playlist has ${rungs.length} rungs, expected 4`);
        const key = (w, hh, b) => `${w}x${hh}@${b}`;
        const got = (h.levels || []).map((l) => key(l.width, l.height, l.bitrate)).sort();
        const want = rungs.map((r) => key(r.width, r.height, r.bandwidth)).sort();
        check(JSON.stringify(got) === JSON.stringify(want),
          `hls.js parsed levels ${JSON.stringify(got)}, the master lists ${JSON.stringify(want)}`);
        if (master.renditions) {
          const fromManifest = master.renditions.map((r) => key(r.width, r.height, r.bandwidth)).sort();
          check(JSON.stringify(fromManifest) === JSON.stringify(want),
            `manifest renditions ${JSON.stringify(fromManifest)} differ from the master ${JSON.stringify(want)}`);
        }
        check(h.ended === true, `HLS: did not reach 'ended' (currentTime ${h.currentTime})`);
        const frame = 1 / (fpsOf[mp4s[0] && mp4s[0].path] || 30);
        // The fMP4 segments carry no edit list (hls.js ignores them): the
        // first frame must be presented at zero by the timestamps alone, so
        // the ladder plays exactly the clip's length, not a frame more.
        check(Math.abs(h.duration - clipLength) <= frame / 2 + 1e-6,
          `HLS: duration ${h.duration} s, want the clip's ${clipLength} s within half a frame (buffered ${JSON.stringify(h.buffered)})`);
        for (const f of h.forced) {
          check(f.height_after === f.target_height,
            `HLS: forced switch to level ${f.target}: videoHeight ${f.height_after}, want ${f.target_height}`);
        }
        const levelsSwitched = new Set(h.switches.map((s) => s.level));
        check(levelsSwitched.size >= 2, `HLS: LEVEL_SWITCHED reported ${levelsSwitched.size} distinct levels, want >= 2`);
        const heights = new Set(h.resizes.map((r) => r.h).filter((x) => x > 0));
        check(heights.size >= 2, `HLS: the picture had ${heights.size} distinct heights (${[...heights]}), want >= 2`);
      }
    }

    // ---- 2b. HLS subtitle renditions in hls.js -----------------------------------
    // The English rendition, switched on in hls.js, must give Chromium's text
    // track exactly the cues of the English sidecar: same times (so not early
    // or late: X-TIMESTAMP-MAP), same text, each once although a cue that
    // crosses a segment boundary is in both segments.
    const enSidecar = outputs.find((o) => o.kind === 'subtitles' && o.language === 'en');
    if (master && check(enSidecar, 'no English sidecar in the manifest')) {
      const vttTime = (t) => { const [h, m, s] = t.split(':'); return +h * 3600 + +m * 60 + +s; };
      const want = fs.readFileSync(path.join(outDir, enSidecar.path), 'utf8').split(/\r?\n\r?\n/)
        .map((b) => b.split(/\r?\n/)).map((ls) => { const i = ls.findIndex((l) => l.includes('-->')); return i < 0 ? null : { ls, i }; })
        .filter(Boolean).map(({ ls, i }) => { const [a, b] = ls[i].split('-->').map((x) => x.trim().split(/\s+/)[0]);
          return { start: vttTime(a), end: vttTime(b), text: ls.slice(i + 1).join('\n') }; });
      const hs = await bounded(page.evaluate(async (url) => {
        const out = { tracks: null, errors: [] };
        const v = newVideo();
        v.muted = true;
        const hls = new Hls({ enableWebVTT: true, renderTextTracksNatively: true, startLevel: 0 });
        try {
          hls.on(Hls.Events.ERROR, (_, d) => out.errors.push({ details: d.details, fatal: d.fatal }));
          const parsed = new Promise((res) => hls.once(Hls.Events.MANIFEST_PARSED, res));
          hls.loadSource(url);
          hls.attachMedia(v);
          await Promise.race([parsed, new Promise((_, rej) => setTimeout(() => rej(new Error('no MANIFEST_PARSED within 10 s')), 10000))]);
          out.tracks = hls.subtitleTracks.map((t) => ({ lang: t.lang, name: t.name }));
          const en = hls.subtitleTracks.findIndex((t) => t.lang === 'en');
          if (en < 0) return out;
          hls.subtitleDisplay = true;
          hls.subtitleTrack = en;
          v.playbackRate = 4;
          const ended = waitEvent(v, 'ended', 30000, 'HLS subtitles');
          await v.play();
          await ended;
          const tt = Array.from(v.textTracks).find((t) => t.language === 'en' || t.label === hls.subtitleTracks[en].name);
          out.mode = tt && tt.mode;
          out.cues = tt ? Array.from(tt.cues || [], (c) => ({ start: c.startTime, end: c.endTime, text: c.text })) : null;
        } catch (e) {
          out.exception = String(e.message || e);
        } finally {
          hls.destroy();
          v.remove();
        }
        return out;
      }, `${base}/${master.path}`), 60000, 'HLS subtitles');
      results.hls_subtitles = hs;
      console.log(`${elapsed()} == HLS subtitles: ${JSON.stringify(hs.tracks)}; English cues in hls.js ${JSON.stringify(hs.cues)}`);
      if (check(!hs.exception, `HLS subtitles: ${hs.exception}`) && check(hs.cues, 'HLS subtitles: no English text track in Chromium')) {
        const langs = (hs.tracks || []).map((t) => t.lang).sort().join(',');
        const sidecarLangs = outputs.filter((o) => o.kind === 'subtitles').map((o) => o.language).sort().join(',');
        check(langs === sidecarLangs, `HLS subtitles: hls.js lists languages ${langs}, the sidecars are ${sidecarLangs}`);
        check(hs.cues.length === want.length, `HLS subtitles: ${hs.cues.length} English cues in hls.js, the sidecar has ${want.length}`);
        for (let i = 0; i < Math.min(hs.cues.length, want.length); i++) {
          const g = hs.cues[i], w = want[i];
          check(Math.abs(g.start - w.start) < 0.002 && Math.abs(g.end - w.end) < 0.002 && g.text === w.text,
            `HLS subtitles: cue ${i + 1} is ${g.start}-${g.end} "${g.text}", the sidecar's ${w.start}-${w.end} "${w.text}"`);
        }
      }
    }

    // ---- 3. the clip's WebVTT sidecar ------------------------------------------
    const sidecar = outputs.find((o) => o.kind === 'subtitles' && o.mime === 'text/vtt');
    const poster = mp4s.find((o) => o.preset === 'web-720p') || mp4s[0];
    const trackCues = async (videoUrl, trackUrl, kind, mode) => bounded(page.evaluate(async ({ videoUrl, trackUrl, kind, mode }) => {
      const v = newVideo();
      try {
        if (videoUrl) v.src = videoUrl;
        const t = document.createElement('track');
        t.kind = kind; t.srclang = 'en'; t.label = 'test'; t.src = trackUrl;
        v.appendChild(t);
        t.track.mode = mode;
        if (t.readyState !== 2) {
          await new Promise((res, rej) => {
            const timer = setTimeout(() => rej(new Error(`track ${trackUrl}: no load within 10 s (readyState ${t.readyState})`)), 10000);
            t.addEventListener('load', () => { clearTimeout(timer); res(); });
            t.addEventListener('error', () => { clearTimeout(timer); rej(new Error(`track ${trackUrl}: error event (readyState ${t.readyState})`)); });
          });
        }
        const cues = Array.from(t.track.cues || [], (c) => ({ start: c.startTime, end: c.endTime, text: c.text, id: c.id }));
        return { readyState: t.readyState, mode: t.track.mode, cues };
      } catch (e) {
        return { exception: String(e.message || e) };
      } finally {
        v.removeAttribute('src'); v.load(); v.remove();
      }
    }, { videoUrl, trackUrl, kind, mode }), 20000, `loading the track ${trackUrl}`);
    if (check(sidecar, 'no WebVTT sidecar in the manifest')) {
      console.log(`${elapsed()} == WebVTT sidecar ${sidecar.path}`);
      const want = parseVttTimings(fs.readFileSync(path.join(outDir, sidecar.path), 'utf8'));
      const r = await trackCues(`${base}/${poster.path}`, `${base}/${sidecar.path}`, 'subtitles', 'hidden');
      const got = (r.cues || []).map((c) => ({ start_ms: Math.round(c.start * 1000), end_ms: Math.round(c.end * 1000), text: c.text }));
      results.sidecar = { path: sidecar.path, file_cues: want, chromium_cues: got, exception: r.exception };
      console.log(`  file: ${want.length} cues; Chromium: ${got.length} cues`);
      if (check(!r.exception, `sidecar: ${r.exception}`)) {
        check(want.length > 0, `sidecar ${sidecar.path}: the test found no timing lines in it`);
        check(got.length === want.length, `sidecar ${sidecar.path}: Chromium has ${got.length} cues, the file ${want.length}`);
        for (let i = 0; i < Math.min(got.length, want.length); i++) {
          const g = got[i];
          const w = want[i];
          check(g.start_ms === w.start_ms && g.end_ms === w.end_ms,
            `sidecar cue ${i + 1}: Chromium ${g.start_ms}-${g.end_ms} ms, the file ${w.start_ms}-${w.end_ms} ms`);
          check(g.text === w.text, `sidecar cue ${i + 1}: Chromium's text ${JSON.stringify(g.text)}, the file's ${JSON.stringify(w.text)}`);
        }
      }
    }

    // ---- 4. the ableplayer WebVTT files ------------------------------------------
    const ableDir = args['ableplayer-dir'];
    const vtts = fs.readdirSync(ableDir).filter((f) => f.endsWith('.vtt')).sort();
    console.log(`${elapsed()} == ${vtts.length} ableplayer WebVTT files from ${ableDir}`);
    const able = {};
    for (const f of vtts) {
      const kind = /chapters/.test(f) ? 'chapters' : /descri/.test(f) ? 'descriptions' : 'subtitles';
      const r = await trackCues(null, `${base}/__ableplayer__/${encodeURIComponent(f)}`, kind, 'hidden');
      const naive = parseVttTimings(fs.readFileSync(path.join(ableDir, f), 'utf8')).length;
      if (r.exception) {
        able[f] = { error: r.exception };
        check(false, `ableplayer ${f}: ${r.exception}`);
        continue;
      }
      able[f] = {
        kind,
        cue_count: r.cues.length,
        timing_lines: naive,
        cues_ms: r.cues.map((c) => [Math.round(c.start * 1000), Math.round(c.end * 1000)]),
      };
      console.log(`  ${f}: ${r.cues.length} cues (${naive} timing lines in the file)`);
    }
    results.ableplayer = able;
    check(able['paulallen_de.vtt'] && able['paulallen_de.vtt'].cue_count === 38,
      `ableplayer paulallen_de.vtt: Chromium gave ${able['paulallen_de.vtt'] && able['paulallen_de.vtt'].cue_count} cues, known to be 38`);
    fs.writeFileSync(path.join(resultsDir, 'chromium-vtt-cues.json'), JSON.stringify({
      about: 'Cues Chromium parsed from each WebVTT file, loaded as a <track> (mode hidden): '
        + 'count and [start_ms, end_ms] per cue, written by tests/browser/player-test.js',
      chromium: results.chromium,
      source: ableDir,
      files: able,
    }, null, 1) + '\n');

    // ---- 5. a screenshot with a subtitle showing -----------------------------------
    if (sidecar && results.sidecar && results.sidecar.file_cues.length) {
      const cue = results.sidecar.file_cues[0];
      const at = (cue.start_ms + Math.min(cue.end_ms - cue.start_ms, 3000) / 2) / 1000;
      console.log(`${elapsed()} == screenshot at ${at} s (${poster.path} with ${sidecar.path} showing)`);
      const s = await bounded(page.evaluate(async ({ videoUrl, trackUrl, at }) => {
        const v = newVideo();
        v.id = 'shot';
        v.src = videoUrl;
        const t = document.createElement('track');
        t.kind = 'subtitles'; t.srclang = 'en'; t.label = 'English'; t.src = trackUrl; t.default = true;
        v.appendChild(t);
        t.track.mode = 'showing';
        await waitEvent(v, 'loadeddata', 15000, videoUrl);
        const seeked = waitEvent(v, 'seeked', 10000, videoUrl);
        v.currentTime = at;
        await seeked;
        await waitFor(() => t.track.activeCues && t.track.activeCues.length > 0, 10000, 'an active cue');
        await new Promise((res) => requestAnimationFrame(() => requestAnimationFrame(res)));
        return { activeCue: t.track.activeCues[0].text, currentTime: v.currentTime, stddev: frameStddev(v) };
      }, { videoUrl: `${base}/${poster.path}`, trackUrl: `${base}/${sidecar.path}`, at }), 30000, 'the screenshot');
      await page.waitForTimeout(300);
      const png = path.join(resultsDir, 'subtitle-frame.png');
      await page.locator('#shot').screenshot({ path: png, timeout: 10000 });
      results.screenshot = { path: png, ...s };
      console.log(`  ${png}: active cue ${JSON.stringify(s.activeCue)} at ${s.currentTime} s`);
      check(fs.statSync(png).size > 1000, 'the screenshot is empty');
    }

    // ---- 6. the review page: play a rendition, switch the subtitle language ------
    console.log(`${elapsed()} == review page ${base}/index.html`);
    await page.goto(`${base}/index.html`, { timeout: 15000 });
    const sidecars = outputs.filter((o) => o.kind === 'subtitles' && o.mime === 'text/vtt');
    const videos = outputs.filter((o) => o.kind === 'video');
    const rv = await bounded(page.evaluate(async ({ clip }) => {
      const until = (cond, ms, what) => new Promise((res, rej) => {
        const t0 = performance.now();
        const tick = () => (cond() ? res() : performance.now() - t0 > ms ? rej(new Error(`no ${what} within ${ms} ms`)) : setTimeout(tick, 50));
        tick();
      });
      try {
        const s = document.querySelector(`section.clip[data-clip="${clip}"]`);
        if (!s) return { exception: `no section for ${clip}` };
        const v = s.querySelector('video');
        const rs = s.querySelector('select.rendition');
        const ss = s.querySelector('select.subtitles');
        const out = { renditions: Array.from(rs.options, (o) => o.value),
          languages: Array.from(ss.options, (o) => o.value).filter(Boolean), shown: {} };
        v.muted = true;
        rs.value = rs.options[rs.options.length - 1].value; /* another rendition than the first */
        rs.dispatchEvent(new Event('change'));
        await until(() => v.readyState >= 2 && v.currentSrc.endsWith(rs.value), 15000, 'the chosen rendition loaded');
        out.rendition = rs.value;
        const t0 = v.currentTime;
        await v.play();
        await until(() => v.currentTime > t0 + 0.5, 15000, 'playback');
        out.played_to = v.currentTime;
        v.pause();
        for (const lang of out.languages) {
          ss.value = lang;
          ss.dispatchEvent(new Event('change'));
          const tracks = Array.from(v.textTracks);
          const t = tracks.find((x) => x.language === lang);
          await until(() => t.cues && t.cues.length > 0, 10000, `${lang} cues`);
          const cue = t.cues[0];
          v.currentTime = (cue.startTime + cue.endTime) / 2;
          await until(() => t.activeCues && t.activeCues.length > 0, 10000, `an active ${lang} cue`);
          out.shown[lang] = { text: t.activeCues[0].text, at: v.currentTime,
            modes: tracks.map((x) => `${x.language}:${x.mode}`).join(' ') };
        }
        return out;
      } catch (e) {
        return { exception: String(e.message || e) };
      }
    }, { clip }), 60000, 'the review page');
    results.review_page = rv;
    if (check(!rv.exception, `review page: ${rv.exception}`)) {
      check(rv.renditions.length === videos.length,
        `review page: ${rv.renditions.length} renditions offered, the manifest has ${videos.length}`);
      check(JSON.stringify(rv.languages.slice().sort()) === JSON.stringify(sidecars.map((o) => o.language).sort()),
        `review page: languages ${rv.languages}, the manifest's sidecars ${sidecars.map((o) => o.language)}`);
      check(rv.played_to > 0.5, `review page: ${rv.rendition} did not play`);
      for (const o of sidecars) {
        const got = rv.shown[o.language];
        const want = parseVttTimings(fs.readFileSync(path.join(outDir, o.path), 'utf8'))[0];
        console.log(`  ${o.language}: ${got ? `"${got.text}" at ${got.at.toFixed(2)} s (${got.modes})` : 'nothing shown'}`);
        if (!check(got, `review page: no ${o.language} cue shown`)) continue;
        check(want && got.text === want.text, `review page: ${o.language} shows ${JSON.stringify(got.text)}, its first cue is ${JSON.stringify(want && want.text)}`);
        check(got.modes.split(' ').every((m) => m === `${o.language}:showing` || m.endsWith(':disabled')),
          `review page: with ${o.language} chosen the tracks are ${got.modes}`);
      }
      check(sidecars.length >= 2, 'review page: the test needs two subtitle languages');
    }
  } finally {
    await bounded(context.close(), 10000, 'closing Chromium').catch((e) => console.log(`  ${e.message}`));
  }
}

const watchdog = setTimeout(() => {
  console.error(`player-test.js: FAIL: over the ${deadline} s deadline`);
  process.exit(1);
}, deadline * 1000);
main().then(() => {
  fs.writeFileSync(path.join(resultsDir, 'browser-results.json'), JSON.stringify({ ...results, failures }, null, 1) + '\n');
  clearTimeout(watchdog);
  if (failures.length) {
    console.log(`\n${failures.length} failure(s):`);
    for (const f of failures) console.log(`  - ${f}`);
    process.exit(1);
  }
  console.log(`\n${elapsed()} all player checks passed`);
  process.exit(0);
}, (e) => {
  console.error(`player-test.js: FAIL: ${e.stack || e}`);
  try {
    fs.writeFileSync(path.join(resultsDir, 'browser-results.json'), JSON.stringify({ ...results, failures, exception: String(e) }, null, 1) + '\n');
  } catch { /* the exit code says it */ }
  process.exit(1);
});
