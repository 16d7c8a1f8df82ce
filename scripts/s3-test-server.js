#!/usr/bin/env node
// s3-test-server.js: s3rver (npm, pinned in package-lock.json) with the two
// multipart operations it lacks, so that tests and the demo meet a server that
// behaves like S3 when an upload is resumed or given up:
//   ListParts             GET    /BUCKET/KEY?uploadId=ID[&part-number-marker=N][&max-parts=M]
//   AbortMultipartUpload  DELETE /BUCKET/KEY?uploadId=ID
// Both read and change s3rver's own store (DIR/BUCKET/._S3rver_uploads/ID/: the
// parts as s3rver wrote them, with their MD5s); every other request goes to s3rver.
// Started by scripts/s3-test-server; prints "S3rver listening on 127.0.0.1:PORT".
//
//   node s3-test-server.js --directory DIR --bucket NAME
'use strict';
const http = require('http');
const fs = require('fs');
const path = require('path');

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
if (!args.directory || !args.bucket) {
  console.error('usage: s3-test-server.js --directory DIR --bucket NAME');
  process.exit(2);
}
const S3rver = require(path.join(__dirname, '..', 'node_modules', 's3rver'));

function xml(res, status, body) {
  const text = `<?xml version="1.0" encoding="UTF-8"?>\n${body}`;
  res.writeHead(status, { 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function esc(s) {
  return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function noSuchUpload(res, id) {
  xml(res, 404, `<Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.</Message><UploadId>${esc(id)}</UploadId></Error>`);
}

// The upload's folder in s3rver's store when it exists and belongs to this key.
function uploadDir(bucket, key, id) {
  if (!/^[0-9a-f]+$/.test(id)) return null;
  const dir = path.join(args.directory, bucket, '._S3rver_uploads', id);
  try {
    return fs.readFileSync(path.join(dir, 'key'), 'utf8') === key ? dir : null;
  } catch (e) {
    return null;
  }
}

function listParts(res, bucket, key, id, q) {
  const dir = uploadDir(bucket, key, id);
  if (!dir) return noSuchUpload(res, id);
  const marker = parseInt(q.get('part-number-marker') || '0', 10) || 0;
  const max = Math.min(Math.max(parseInt(q.get('max-parts') || '1000', 10) || 1000, 1), 1000);
  // a part is there once s3rver has written its MD5 (after the last byte)
  const numbers = fs.readdirSync(dir).filter((f) => /^\d+\.md5$/.test(f))
    .map((f) => parseInt(f, 10)).filter((n) => n > marker).sort((a, b) => a - b);
  const page = numbers.slice(0, max);
  const truncated = numbers.length > page.length;
  const parts = page.map((n) => {
    const st = fs.statSync(path.join(dir, String(n)));
    const md5 = fs.readFileSync(path.join(dir, `${n}.md5`), 'utf8').trim();
    return `<Part><PartNumber>${n}</PartNumber><LastModified>${st.mtime.toISOString()}</LastModified>` +
      `<ETag>"${md5}"</ETag><Size>${st.size}</Size></Part>`;
  }).join('');
  xml(res, 200, `<ListPartsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>${esc(bucket)}</Bucket>` +
    `<Key>${esc(key)}</Key><UploadId>${esc(id)}</UploadId><PartNumberMarker>${marker}</PartNumberMarker>` +
    (page.length ? `<NextPartNumberMarker>${page[page.length - 1]}</NextPartNumberMarker>` : '') +
    `<MaxParts>${max}</MaxParts><IsTruncated>${truncated}</IsTruncated>${parts}</ListPartsResult>`);
}

function abortUpload(res, bucket, key, id) {
  const dir = uploadDir(bucket, key, id);
  if (!dir) return noSuchUpload(res, id);
  fs.rmSync(dir, { recursive: true, force: true });
  res.writeHead(204);
  res.end();
}

// Path-style requests only (the tests' endpoint is an IP address).
function multipartExtra(req, res) {
  const u = new URL(req.url, 'http://127.0.0.1');
  const id = u.searchParams.get('uploadId');
  if (id === null || u.searchParams.has('partNumber')) return false;
  if (req.method !== 'GET' && req.method !== 'DELETE') return false;
  const m = /^\/([^/]+)\/(.+)$/.exec(u.pathname);
  if (!m) return false;
  const bucket = decodeURIComponent(m[1]);
  const key = m[2].split('/').map(decodeURIComponent).join('/');
  if (req.method === 'GET') listParts(res, bucket, key, id, u.searchParams);
  else abortUpload(res, bucket, key, id);
  return true;
}

(async () => {
  const s3 = new S3rver({ directory: args.directory, silent: true,
    configureBuckets: [{ name: args.bucket, configs: [] }] });
  await s3.configureBuckets();
  const handle = s3.callback();
  const server = http.createServer((req, res) => {
    try {
      if (multipartExtra(req, res)) return;
    } catch (e) {
      return xml(res, 500, `<Error><Code>InternalError</Code><Message>${esc(e.message)}</Message></Error>`);
    }
    handle(req, res);
  });
  server.keepAliveTimeout = 10000;
  server.listen(0, '127.0.0.1', () => console.log(`S3rver listening on 127.0.0.1:${server.address().port}`));
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
