#!/usr/bin/env node
// serve.js: a tiny static HTTP server for the browser tests, on 127.0.0.1 only.
//
//   node serve.js --root DIR [--mount /PREFIX/=DIR_OR_FILE ...] [--port-file FILE]
//        [--log FILE] [--max-seconds S]
//
// Serves DIR at /, plus each --mount (a folder under a prefix ending in '/', or a
// single file at an exact path). GET and HEAD; Content-Type from the extension
// (video/mp4, application/vnd.apple.mpegurl, text/vtt, ...); byte ranges
// ("bytes=a-b", "bytes=a-", "bytes=-n") answered with 206 and Content-Range, an
// unsatisfiable range with 416; no directory listings; nothing outside the served
// folders (.. and symlinks out are refused). Listens on a free port (port 0),
// written to --port-file once listening, and exits by itself after --max-seconds
// (default 120) so that it can never outlive a test. Logs "METHOD path status
// range" per request to --log. No dependencies beyond Node's standard library.
'use strict';
const http = require('http');
const fs = require('fs');
const path = require('path');

const args = { mount: [] };
for (let i = 2; i < process.argv.length; i += 2) {
  const k = process.argv[i].replace(/^--/, '');
  const v = process.argv[i + 1];
  if (v === undefined) {
    console.error(`serve.js: --${k} needs a value`);
    process.exit(2);
  }
  if (k === 'mount') args.mount.push(v);
  else args[k] = v;
}
if (!args.root) {
  console.error('usage: serve.js --root DIR [--mount /PREFIX/=DIR] [--port-file FILE] [--log FILE] [--max-seconds S]');
  process.exit(2);
}

const TYPES = {
  '.mp4': 'video/mp4',
  '.m4s': 'video/iso.segment',
  '.m4v': 'video/mp4',
  '.m4a': 'audio/mp4',
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.vtt': 'text/vtt; charset=utf-8',
  '.srt': 'application/x-subrip; charset=utf-8',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.json': 'application/json; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

// [prefix, target, isDir], longest prefix first; the root last.
const mounts = args.mount.map((m) => {
  const i = m.indexOf('=');
  if (i <= 0 || m[0] !== '/') {
    console.error(`serve.js: bad --mount '${m}' (want /PREFIX/=DIR or /path=FILE)`);
    process.exit(2);
  }
  const target = fs.realpathSync(m.slice(i + 1));
  return [m.slice(0, i), target, fs.statSync(target).isDirectory()];
});
mounts.sort((a, b) => b[0].length - a[0].length);
mounts.push(['/', fs.realpathSync(args.root), true]);

function log(line) {
  if (args.log) fs.appendFileSync(args.log, line + '\n');
}

// The file for a URL path, or null; never anything outside a served folder.
function resolve(urlPath) {
  let p;
  try {
    p = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (p.includes('\0')) return null;
  for (const [prefix, target, isDir] of mounts) {
    if (!isDir) {
      if (p === prefix) return target;
      continue;
    }
    if (!p.startsWith(prefix)) continue;
    const rel = p.slice(prefix.length);
    const full = path.resolve(target, '.' + path.sep + rel);
    let real;
    try {
      real = fs.realpathSync(full);
    } catch {
      return null;
    }
    if (real !== target && !real.startsWith(target + path.sep)) return null;
    return real;
  }
  return null;
}

// {start, end} (inclusive), 'bad' for an unsatisfiable range, or null for no range.
function parseRange(header, size) {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return 'bad'; // multiple ranges are not supported
  let start;
  let end;
  if (m[1] === '') {
    const n = parseInt(m[2], 10);
    if (n === 0) return 'bad';
    start = Math.max(0, size - n);
    end = size - 1;
  } else {
    start = parseInt(m[1], 10);
    end = m[2] === '' ? size - 1 : Math.min(parseInt(m[2], 10), size - 1);
  }
  if (start >= size || start > end) return 'bad';
  return { start, end };
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://127.0.0.1');
  const done = (status, extra) => log(`${req.method} ${url.pathname} ${status}${extra ? ' ' + extra : ''}`);
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { Allow: 'GET, HEAD' });
    res.end();
    return done(405);
  }
  const file = resolve(url.pathname);
  let st;
  try {
    st = file && fs.statSync(file);
  } catch {
    st = null;
  }
  if (!st || !st.isFile()) {
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end('not found\n');
    return done(404);
  }
  const type = TYPES[path.extname(file).toLowerCase()] || 'application/octet-stream';
  const headers = {
    'Content-Type': type,
    'Accept-Ranges': 'bytes',
    'Cache-Control': 'no-store',
    'Last-Modified': st.mtime.toUTCString(),
  };
  const range = parseRange(req.headers.range, st.size);
  if (range === 'bad') {
    res.writeHead(416, { ...headers, 'Content-Range': `bytes */${st.size}` });
    res.end();
    return done(416, req.headers.range);
  }
  let status = 200;
  let start = 0;
  let end = st.size - 1;
  if (range) {
    status = 206;
    ({ start, end } = range);
    headers['Content-Range'] = `bytes ${start}-${end}/${st.size}`;
  }
  headers['Content-Length'] = String(st.size === 0 ? 0 : end - start + 1);
  res.writeHead(status, headers);
  done(status, range ? `${start}-${end}/${st.size}` : '');
  if (req.method === 'HEAD' || st.size === 0) return res.end();
  const stream = fs.createReadStream(file, { start, end });
  stream.on('error', () => res.destroy());
  stream.pipe(res);
});

server.listen(0, '127.0.0.1', () => {
  const { address, port } = server.address();
  if (args['port-file']) {
    fs.writeFileSync(args['port-file'] + '.tmp', String(port));
    fs.renameSync(args['port-file'] + '.tmp', args['port-file']);
  }
  console.log(`serve.js listening on ${address}:${port}`);
});
const maxSeconds = parseFloat(args['max-seconds'] || '120');
setTimeout(() => {
  console.error(`serve.js: stopping after ${maxSeconds} s (--max-seconds)`);
  process.exit(0);
}, maxSeconds * 1000).unref();
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
