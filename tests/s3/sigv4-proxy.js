#!/usr/bin/env node
// sigv4-proxy.js: a SigV4-checking reverse proxy for tests, in front of s3rver
// (which checks only the access key id, not the signature). For every request it
// recomputes the AWS Signature Version 4 with the known secret of the access key,
// checks x-amz-content-sha256 against the body (unless UNSIGNED-PAYLOAD) and the
// request time, and answers 403 SignatureDoesNotMatch / InvalidAccessKeyId /
// RequestTimeTooSkewed in S3's XML form on a mismatch; good requests go on to the
// upstream server unchanged. It also logs "METHOD path status" per request and
// can inject faults for retry tests, each bounded in count.
//
//   node sigv4-proxy.js --upstream http://127.0.0.1:PORT [--keys AK:SECRET[,AK2:S2]]
//        [--log FILE] [--port-file FILE] [--fail-first N] [--drop-first N] [--fail-parts N] [--fail-puts N]
//        [--skew SECONDS] [--max-seconds S] [--stall-first N] [--stall-seconds S] [--delay-parts MS]
//        [--fail-key TEXT]
// --fail-first: 503 SlowDown for the first N requests; --drop-first: close the
// connection without an answer; --fail-parts: 500 for the first N UploadPart requests;
// --fail-puts: 503 SlowDown for the first N PUT requests of whole objects;
// --stall-first: the first N requests get no answer at all (the connection stays
// open and silent) until the client gives up, or S seconds (default 30) have passed;
// --delay-parts: each UploadPart is answered MS milliseconds late (so that a test can
// stop a client in the middle of a multipart upload); --fail-key TEXT: 500 for every
// PUT (parts included) whose path contains TEXT, and only those.
//
// Listens on 127.0.0.1 with a free port, printed as "sigv4-proxy listening on
// 127.0.0.1:PORT". No dependencies beyond Node's standard library.
'use strict';
const http = require('http');
const crypto = require('crypto');
const fs = require('fs');

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
if (!args.upstream) {
  console.error('usage: sigv4-proxy.js --upstream URL [--keys AK:SECRET] [--log FILE] [--port-file FILE]');
  process.exit(2);
}
const upstream = new URL(args.upstream);
if (upstream.hostname !== '127.0.0.1') {
  console.error('sigv4-proxy: the upstream must be on 127.0.0.1');
  process.exit(2);
}
const keys = new Map((args.keys || 'S3RVER:S3RVER').split(',').map((kv) => {
  const i = kv.indexOf(':');
  return [kv.slice(0, i), kv.slice(i + 1)];
}));
let failFirst = parseInt(args['fail-first'] || '0', 10);
let dropFirst = parseInt(args['drop-first'] || '0', 10);
let failParts = parseInt(args['fail-parts'] || '0', 10);
let failPuts = parseInt(args['fail-puts'] || '0', 10);
const skew = parseInt(args.skew || '0', 10);
let stallFirst = parseInt(args['stall-first'] || '0', 10);
const stallMs = parseInt(args['stall-seconds'] || '30', 10) * 1000;
const delayParts = parseInt(args['delay-parts'] || '0', 10);
const BODY_CAP = 256 * 1024 * 1024;

function log(line) {
  if (args.log) fs.appendFileSync(args.log, line + '\n');
}

function awsEncode(s, keepSlash) {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-._~]/.test(c) || (keepSlash && c === '/')) out += c;
    else out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

function decode(s) {
  try {
    return decodeURIComponent(s);
  } catch (e) {
    return s;
  }
}

function canonicalQuery(raw) {
  if (!raw) return '';
  return raw.split('&').filter((p) => p.length).map((p) => {
    const i = p.indexOf('=');
    const k = i < 0 ? p : p.slice(0, i);
    const v = i < 0 ? '' : p.slice(i + 1);
    return [awsEncode(decode(k), false), awsEncode(decode(v), false)];
  }).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`).join('&');
}

function hmac(key, data) {
  return crypto.createHmac('sha256', key).update(data, 'utf8').digest();
}

function s3Error(res, status, code, message) {
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`;
  res.writeHead(status, { 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
  return status;
}

function amzDateToMs(d) {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(d || '');
  return m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) : NaN;
}

// Returns null when the request is good, else [status, code, message].
function check(req, body) {
  const auth = req.headers.authorization || '';
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m) return [403, 'AccessDenied', 'The request carries no well-formed SigV4 Authorization header.'];
  const [, ak, day, region, service, signedHeaders, signature] = m;
  const secret = keys.get(ak);
  if (secret === undefined) return [403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.'];
  const amzDate = req.headers['x-amz-date'];
  const t = amzDateToMs(amzDate);
  if (isNaN(t) || amzDate.slice(0, 8) !== day) return [403, 'AccessDenied', 'Bad x-amz-date.'];
  if (Math.abs(Date.now() + skew * 1000 - t) > 15 * 60 * 1000)
    return [403, 'RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.'];
  const payloadHash = req.headers['x-amz-content-sha256'];
  if (!payloadHash) return [400, 'InvalidRequest', 'Missing required header for this request: x-amz-content-sha256'];
  if (payloadHash !== 'UNSIGNED-PAYLOAD' && payloadHash !== crypto.createHash('sha256').update(body).digest('hex'))
    return [400, 'XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed."];
  const names = signedHeaders.split(';');
  if (!names.includes('host') || !names.includes('x-amz-date')) return [403, 'AccessDenied', 'host and x-amz-date must be signed.'];
  const q = req.url.indexOf('?');
  const rawPath = q < 0 ? req.url : req.url.slice(0, q);
  const path = rawPath.split('/').map((seg) => awsEncode(decode(seg), false)).join('/');
  const headers = names.map((n) => {
    const v = req.headers[n];
    return `${n}:${String(v === undefined ? '' : v).trim().replace(/\s+/g, ' ')}\n`;
  }).join('');
  const creq = [req.method, path, canonicalQuery(q < 0 ? '' : req.url.slice(q + 1)), headers, signedHeaders, payloadHash].join('\n');
  const scope = `${day}/${region}/${service}/aws4_request`;
  const sts = ['AWS4-HMAC-SHA256', amzDate, scope, crypto.createHash('sha256').update(creq, 'utf8').digest('hex')].join('\n');
  const key = hmac(hmac(hmac(hmac('AWS4' + secret, day), region), service), 'aws4_request');
  const want = crypto.createHmac('sha256', key).update(sts, 'utf8').digest('hex');
  if (want !== signature)
    return [403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.'];
  return null;
}

function forward(req, res, body) {
  const headers = { ...req.headers, host: upstream.host, 'content-length': String(body.length) };
  delete headers['transfer-encoding'];
  const up = http.request({ host: '127.0.0.1', port: upstream.port, method: req.method, path: req.url, headers, timeout: 30000 }, (ur) => {
    res.writeHead(ur.statusCode, ur.headers);
    ur.pipe(res);
    log(`${req.method} ${req.url} ${ur.statusCode}`);
  });
  up.on('timeout', () => up.destroy(new Error('upstream timeout')));
  up.on('error', (e) => {
    log(`${req.method} ${req.url} 502`);
    if (!res.headersSent) s3Error(res, 502, 'BadGateway', e.message);
    else res.destroy();
  });
  up.end(body);
}

const server = http.createServer((req, res) => {
  const chunks = [];
  let size = 0;
  req.setTimeout(30000, () => req.destroy());
  req.on('data', (c) => {
    size += c.length;
    if (size > BODY_CAP) req.destroy();
    else chunks.push(c);
  });
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    if (dropFirst > 0) {
      dropFirst--;
      log(`${req.method} ${req.url} dropped`);
      req.socket.destroy();
      return;
    }
    if (stallFirst > 0) {
      stallFirst--;
      const t0 = Date.now();
      const end = setTimeout(() => req.socket.destroy(), stallMs);
      req.socket.on('close', () => {
        clearTimeout(end);
        log(`${req.method} ${req.url} stalled ${Date.now() - t0} ms`);
      });
      return;
    }
    if (failFirst > 0) {
      failFirst--;
      log(`${req.method} ${req.url} 503`);
      s3Error(res, 503, 'SlowDown', 'Please reduce your request rate.');
      return;
    }
    if (failPuts > 0 && req.method === 'PUT' && !/[?&]partNumber=/.test(req.url)) {
      failPuts--;
      log(`${req.method} ${req.url} 503`);
      s3Error(res, 503, 'SlowDown', 'Please reduce your request rate.');
      return;
    }
    if (args['fail-key'] && req.method === 'PUT' &&
        req.url.split('?')[0].includes(args['fail-key'])) {
      log(`${req.method} ${req.url} 500`);
      s3Error(res, 500, 'InternalError', 'We encountered an internal error. Please try again.');
      return;
    }
    if (failParts > 0 && /[?&]partNumber=/.test(req.url)) {
      failParts--;
      log(`${req.method} ${req.url} 500`);
      s3Error(res, 500, 'InternalError', 'We encountered an internal error. Please try again.');
      return;
    }
    const bad = check(req, body);
    if (bad) {
      log(`${req.method} ${req.url} ${bad[0]} ${bad[1]}`);
      s3Error(res, bad[0], bad[1], bad[2]);
      return;
    }
    if (delayParts > 0 && /[?&]partNumber=/.test(req.url)) setTimeout(() => forward(req, res, body), delayParts);
    else forward(req, res, body);
  });
});
server.keepAliveTimeout = 10000;
server.listen(0, '127.0.0.1', () => {
  const port = server.address().port;
  if (args['port-file']) fs.writeFileSync(args['port-file'], String(port));
  console.log(`sigv4-proxy listening on 127.0.0.1:${port}`);
});
process.on('SIGTERM', () => process.exit(0));
setTimeout(() => process.exit(0), parseInt(args['max-seconds'] || '600', 10) * 1000).unref();
