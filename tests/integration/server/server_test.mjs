// Integration tests of `dsinfer serve`: real processes on 127.0.0.1, real clients (curl-like
// raw HTTP, Node's http, the official `openai` package). Each test starts its own server.
import { spawn } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import OpenAI from 'openai';

const BIN = process.env.DSINFER_BIN;
const MODEL = process.argv[2];
if (!BIN || !MODEL) throw new Error('usage: DSINFER_BIN=... node server_test.mjs MODEL.gguf');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// `nofile`: the server's descriptor limit (ulimit -n), for the out-of-descriptors test.
async function startServer(args = [], { waitReady = true, nofile } = {}) {
  const argv = ['serve', '--model', MODEL, '--host', '127.0.0.1', '--port', '0',
    '--kv-cache-mem', '64MiB', '--warmup-requests', '2', ...args];
  const proc = nofile
    ? spawn('sh', ['-c', `ulimit -n ${nofile} && exec "$0" "$@"`, BIN, ...argv], { stdio: ['ignore', 'ignore', 'pipe'] })
    : spawn(BIN, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  const port = await new Promise((resolve, reject) => {
    proc.stderr.on('data', (d) => {
      log += d.toString();
      const m = log.match(/"event":"listening","host":"[^"]*","port":(\d+)/);
      if (m) resolve(Number(m[1]));
    });
    proc.on('exit', (code) => reject(new Error(`server exited ${code}: ${log}`)));
  });
  const server = { proc, port, url: `http://127.0.0.1:${port}`, log: () => log };
  server.exited = new Promise((r) => proc.on('exit', (code, signal) => r({ code, signal })));
  if (waitReady) await waitFor(async () => (await get(server, '/health/ready')).status === 200, 60000);
  return server;
}

async function stop(server) {
  if (server.proc.exitCode === null) server.proc.kill('SIGKILL');
  await server.exited;
}

async function waitFor(pred, ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await pred()) return;
    await sleep(50);
  }
  throw new Error('condition not reached in time');
}

function request(server, method, path, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : (typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body));
    const req = http.request(server.url + path, { method, headers: { 'Content-Type': 'application/json', ...headers }, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        let json;
        try { json = JSON.parse(text); } catch { json = undefined; }
        resolve({ status: res.statusCode, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    if (data !== undefined) req.write(data);
    req.end();
  });
}
const get = (s, p, h) => request(s, 'GET', p, undefined, h);
const post = (s, p, b, h) => request(s, 'POST', p, b, h);

// Raw bytes over a socket: returns everything the server sent before closing (or timeout).
function raw(server, bytes, ms = 3000) {
  return new Promise((resolve) => {
    const sock = net.connect(server.port, '127.0.0.1');
    let out = '';
    sock.on('data', (d) => { out += d.toString(); });
    sock.on('close', () => resolve(out));
    sock.on('error', () => resolve(out));
    sock.write(bytes);
    setTimeout(() => { sock.destroy(); resolve(out); }, ms);
  });
}

function sseEvents(text) {
  return text.split('\n\n').filter((e) => e.startsWith('data: ')).map((e) => e.slice(6));
}

const chat = (content, extra = {}) => ({ messages: [{ role: 'user', content }], max_tokens: 8, temperature: 0, ...extra });

const tests = [];
const test = (name, fn) => tests.push({ name, fn });

test('routes answer as documented (JSON and SSE)', async () => {
  const s = await startServer();
  try {
    assert.equal((await get(s, '/health/live')).status, 200);
    const health = await get(s, '/health');
    assert.equal(health.status, 200);
    assert.equal(health.json.phase, 'ready');
    assert.ok(health.json.model.parameters > 0);
    assert.ok(health.json.engine.kv_cache.blocks_total > 0);
    assert.equal(health.json.device.type, 'cpu');
    const models = await get(s, '/v1/models');
    assert.equal(models.json.data[0].object, 'model');

    const c = await post(s, '/v1/chat/completions', chat('Hello'));
    assert.equal(c.status, 200, c.text);
    assert.equal(c.json.object, 'chat.completion');
    assert.equal(c.json.usage.completion_tokens, c.json.choices[0].finish_reason === 'length' ? 8 : c.json.usage.completion_tokens);
    assert.ok('cached_tokens' in c.json.usage.prompt_tokens_details);
    assert.ok(c.headers['x-request-id']);
    const rid = await post(s, '/v1/chat/completions', chat('Hi'), { 'X-Request-Id': 'my-id-42' });
    assert.equal(rid.headers['x-request-id'], 'my-id-42');

    const st = await post(s, '/v1/chat/completions', chat('Hello', { stream: true, stream_options: { include_usage: true } }));
    assert.equal(st.status, 200);
    assert.match(st.headers['content-type'], /text\/event-stream/);
    const ev = sseEvents(st.text);
    assert.equal(ev[ev.length - 1], '[DONE]');
    const usage = JSON.parse(ev[ev.length - 2]);
    assert.ok(usage.usage.total_tokens > 0);
    assert.equal(JSON.parse(ev[0]).choices[0].delta.role, 'assistant');

    const comp = await post(s, '/v1/completions', { prompt: 'Once upon a time', max_tokens: 5, temperature: 0 });
    assert.equal(comp.status, 200, comp.text);
    assert.equal(comp.json.object, 'text_completion');
    assert.equal(typeof comp.json.choices[0].text, 'string');

    const doc = '今天天气很好。我们早上九点在车站见面！\n\n第二段。';
    const t = await post(s, '/v1/translate', { text: doc, source_lang: 'zh', target_lang: 'en', max_tokens: 6 });
    assert.equal(t.status, 200, t.text);
    assert.equal(typeof t.json.translation, 'string');
    assert.ok(t.json.translation.includes('\n\n'), 'paragraph separator kept');
    assert.ok(t.json.usage.prompt_tokens > 0);
    const b = await post(s, '/v1/translate', { segments: ['一。', '二。', '三。'], target_lang: 'en' });
    assert.equal(b.status, 200, b.text);
    assert.equal(b.json.translations.length, 3);
    const b2 = await post(s, '/v1/translate', { segments: ['一。', '二。', '三。'], target_lang: 'en' });
    assert.equal(b2.json.cached_segments, 3, 'identical segments served from the cache');
    assert.deepEqual(b2.json.translations, b.json.translations);
    const ts = await post(s, '/v1/translate', { segments: ['四。', '五。'], target_lang: 'en', stream: true });
    const tev = sseEvents(ts.text);
    assert.deepEqual(tev.slice(0, 2).map((e) => JSON.parse(e).index), [0, 1]);
    assert.ok(JSON.parse(tev[2]).usage);
    assert.equal(tev[3], '[DONE]');

    assert.equal((await get(s, '/nope')).status, 404);
    assert.equal((await get(s, '/v1/chat/completions')).status, 405);
    const metrics = await get(s, '/metrics');
    for (const name of ['inference_latency_seconds_bucket', 'inference_requests_total{code="200",route="/v1/chat/completions"}',
      'inference_time_to_first_token_seconds', 'inference_ready 1', 'inference_translation_cache_hits_total 3',
      'inference_startup_phase_seconds{phase="warmup"}', 'process_resident_memory_bytes']) {
      assert.ok(metrics.text.includes(name), `metrics has ${name}`);
    }
  } finally { await stop(s); }
});

test('the openai npm client works, streaming and errors included', async () => {
  const s = await startServer();
  try {
    const client = new OpenAI({ baseURL: `${s.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const r = await client.chat.completions.create({ model: 'demo', messages: [{ role: 'user', content: 'Hello' }], max_tokens: 6, temperature: 0 });
    assert.equal(r.choices.length, 1);
    assert.ok(r.usage.prompt_tokens > 0);
    const stream = await client.chat.completions.create({ model: 'demo', messages: [{ role: 'user', content: 'Hello' }], max_tokens: 6, stream: true });
    let chunks = 0;
    let finish = null;
    for await (const chunk of stream) {
      chunks++;
      if (chunk.choices[0]?.finish_reason) finish = chunk.choices[0].finish_reason;
    }
    assert.ok(chunks >= 2);
    assert.ok(finish === 'length' || finish === 'stop');
    await assert.rejects(client.chat.completions.create({ model: 'demo', messages: [{ role: 'user', content: 'x' }], max_tokens: -5 }),
      (e) => e.status === 400 && /max_tokens/.test(e.message));
    await assert.rejects(client.chat.completions.create({ model: 'demo', messages: [{ role: 'user', content: 'x' }], n: 2 }),
      (e) => e.status === 400);
  } finally { await stop(s); }
});

test('malformed requests get a 4xx JSON error and the server keeps serving', async () => {
  const s = await startServer(['--header-timeout', '1', '--max-body-bytes', '4096']);
  try {
    const bad = [
      ['{"messages": [', 400], ['[]', 400], ['{"messages": "hi"}', 400], ['{"messages": []}', 400],
      ['{"messages": [{"role": "user", "content": "x"}], "max_tokens": -1}', 400],
      ['{"messages": [{"role": "user", "content": "x"}], "max_tokens": 1e300}', 400],
      ['{"messages": [{"role": "user", "content": "x"}], "temperature": "hot"}', 400],
      ['{"messages": [{"role": "wizard", "content": "x"}]}', 400],
      ['{"messages": [{"role": "user", "content": 5}]}', 400],
      ['{"messages": [{"role": "user", "content": "x"}], "tools": [{"type": "function"}]}', 400],
      ['{"messages": [{"role": "user", "content": "x"}], "max_tokens": 1000000}', 400],
      ['[' .repeat(100000) + ']'.repeat(100000), 413],
      ['{"a":' .repeat(40) + '1' + '}'.repeat(40), 400],
      [Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]), 400],
    ];
    const good = post(s, '/v1/chat/completions', chat('still serving', { max_tokens: 16 }));
    for (const [body, code] of bad) {
      const r = await post(s, '/v1/chat/completions', body);
      assert.equal(r.status, code, `body ${String(body).slice(0, 60)} → ${r.status} ${r.text}`);
      assert.ok(r.json && r.json.error && r.json.error.message, 'OpenAI-style error JSON');
    }
    const unknown = await post(s, '/v1/chat/completions', chat('x', { some_future_field: { a: 1 } }));
    assert.equal(unknown.status, 200, 'unknown fields are ignored');
    const tr = await post(s, '/v1/translate', { text: 'x', target_lang: 'xx' });
    assert.equal(tr.status, 400);
    assert.equal(tr.json.error.param, 'target_lang');
    const garbage = await raw(s, 'GARBAGE \x00\x01 NOT HTTP\r\n\r\n');
    assert.ok(garbage === '' || garbage.startsWith('HTTP/1.1 400'), `protocol garbage: ${garbage.slice(0, 40)}`);
    const slow = await raw(s, 'GET /health HTTP/1.1\r\nHost: x\r\n', 4000);  // never finishes its head
    assert.ok(slow === '' || /^HTTP\/1\.1 4\d\d/.test(slow), `slow-loris: closed or 4xx, got ${slow.slice(0, 30)}`);
    assert.ok(!/^HTTP\/1\.1 200/.test(slow));
    const big = await raw(s, `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n`);
    assert.ok(big.startsWith('HTTP/1.1 413'), big.slice(0, 40));
    const cont = await raw(s, 'POST /v1/models HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n', 1500);
    assert.ok(cont.startsWith('HTTP/1.1 100 Continue'), cont.slice(0, 40));
    const piped = await raw(s, 'GET /health/live HTTP/1.1\r\nHost: x\r\n\r\nGET /v1/models HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    const statuses = [...piped.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => m[1]);
    assert.deepEqual(statuses, ['200', '200', '404'], 'pipelined requests answered in order');
    assert.equal((await good).status, 200);
  } finally { await stop(s); }
});

test('connection slots return on every path: 3 x --max-connections requests per route', async () => {
  const maxConn = 8;
  const s = await startServer(['--max-connections', String(maxConn)]);
  try {
    const routes = [
      ['translate', () => post(s, '/v1/translate', { text: '你好。', target_lang: 'en', max_tokens: 4 })],
      ['translate stream', () => post(s, '/v1/translate', { segments: ['一。', '二。'], target_lang: 'en', max_tokens: 4, stream: true })],
      ['chat', () => post(s, '/v1/chat/completions', chat('Hello', { max_tokens: 4 }))],
      ['chat stream', () => post(s, '/v1/chat/completions', chat('Hello', { max_tokens: 4, stream: true }))],
      ['completions', () => post(s, '/v1/completions', { prompt: 'Once', max_tokens: 4 })],
      ['malformed JSON', () => post(s, '/v1/chat/completions', '{"messages": [')],
      ['health', () => get(s, '/health')],
    ];
    for (const [name, send] of routes) {
      for (let i = 0; i < 3 * maxConn; i++) {
        const r = await send();
        assert.notEqual(r.status, 503, `${name} #${i}: 503 ${r.text}`);
        assert.ok(r.status === 200 || (name === 'malformed JSON' && r.status === 400), `${name} #${i}: ${r.status} ${r.text}`);
      }
      assert.equal((await get(s, '/health/live')).status, 200, `live after ${name}`);
    }
    // Clients that vanish mid-stream (and before the answer) give their slots back too.
    for (let i = 0; i < 3 * maxConn; i++) {
      const body = i % 2
        ? chat('vanish', { stream: true, max_tokens: 200, ignore_eos: true })
        : { segments: ['一。', '二。', '三。'], target_lang: 'en', max_tokens: 200, stream: i % 4 === 0 };
      const path = i % 2 ? '/v1/chat/completions' : '/v1/translate';
      await new Promise((resolve) => {
        const req = http.request(s.url + path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, agent: false }, (res) => {
          res.once('data', () => { req.destroy(); resolve(); });
        });
        req.on('error', () => resolve());
        req.end(JSON.stringify(body));
        if (!body.stream) setTimeout(() => { req.destroy(); resolve(); }, 50);
      });
    }
    await waitFor(async () => {
      const h = await get(s, '/health');
      return h.status === 200 && h.json.engine.requests_running === 0 && h.json.engine.kv_cache.blocks_used === 0;
    }, 20000);
    for (let i = 0; i < maxConn; i++) assert.equal((await get(s, '/health/live')).status, 200);
    const m = (await get(s, '/metrics')).text;
    assert.ok(/inference_requests_total\{code="499",route="\/v1\/(chat\/completions|translate)"\}/.test(m), 'vanished clients counted as 499');
  } finally { await stop(s); }
});

test('streaming requests get real statuses before the 200 headers (400, 429, bad UTF-8)', async () => {
  const s = await startServer(['--max-running', '1', '--max-waiting', '1', '--ctx-size', '256', '--test-hooks']);
  try {
    const long = await post(s, '/v1/chat/completions', chat('word '.repeat(600), { stream: true, max_tokens: 8 }));
    assert.equal(long.status, 400, long.text);
    assert.match(long.headers['content-type'], /application\/json/);
    assert.match(long.json.error.message, /context size/);
    const badUtf8 = Buffer.concat([Buffer.from('{"stream": true, "messages": [{"role": "user", "content": "'), Buffer.from([0xc3, 0x28]), Buffer.from('"}]}')]);
    assert.equal((await post(s, '/v1/chat/completions', badUtf8)).status, 400);
    const tooLong = await post(s, '/v1/translate', { text: '词 '.repeat(300), target_lang: 'en', max_tokens: 200, stream: true });
    assert.equal(tooLong.status, 400, tooLong.text);
    // Overload: the engine is held, one request waits (--max-waiting 1); a stream is refused
    // with 429, not a 200 stream.
    assert.equal((await post(s, '/debug/block-engine', { seconds: 3 })).status, 202);
    await sleep(300);
    const busy = [post(s, '/v1/chat/completions', chat('busy', { max_tokens: 16 }))];
    await sleep(100);
    const refused = await post(s, '/v1/chat/completions', chat('third', { stream: true, max_tokens: 8 }));
    assert.equal(refused.status, 429, refused.text);
    assert.ok(Number(refused.headers['retry-after']) >= 1);
    const refusedT = await post(s, '/v1/translate', { segments: ['一。'], target_lang: 'en', stream: true, temperature: 0.5 });
    assert.equal(refusedT.status, 429, refusedT.text);
    for (const r of await Promise.all(busy)) assert.equal(r.status, 200);
    const m = (await get(s, '/metrics')).text;
    assert.ok(m.includes('inference_requests_total{code="400",route="/v1/chat/completions"}'), 'streaming 400 in metrics');
    assert.ok(m.includes('inference_requests_total{code="429",route="/v1/chat/completions"}'), 'streaming 429 in metrics');
  } finally { await stop(s); }
});

test('request bodies: the limit covers chunked framing; an endless chunk extension is cut off', async () => {
  const s = await startServer(['--max-body-bytes', '4096']);
  try {
    // Decoded body tiny, framing huge: 1-byte chunks with long extensions.
    let framed = 'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n';
    for (let i = 0; i < 100; i++) framed += `1;ext=${'e'.repeat(100)}\r\n{\r\n`;
    framed += '0\r\n\r\n';
    assert.match(await raw(s, framed), /^HTTP\/1\.1 413/);
    // Trailers count too.
    const trailer = 'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\r\n{\r\n0\r\n' + `X-T: ${'t'.repeat(6000)}\r\n\r\n`;
    assert.match(await raw(s, trailer), /^HTTP\/1\.1 (413|431|400)/);
    // A chunk-extension line that never ends: the server answers and closes long before 64 MiB.
    const sent = await new Promise((resolve) => {
      const sock = net.connect(s.port, '127.0.0.1');
      let bytes = 0;
      let reply = '';
      const piece = 'x'.repeat(65536);
      sock.on('data', (d) => { reply += d.toString(); });
      const finish = () => { clearInterval(timer); sock.destroy(); resolve({ bytes, reply }); };
      sock.on('error', finish);
      sock.on('close', finish);
      sock.write('POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1;');
      const timer = setInterval(() => {
        if (bytes > 64 * 1024 * 1024) return finish();
        while (sock.writable && bytes <= 64 * 1024 * 1024 && sock.write(piece)) bytes += piece.length;
      }, 1);
    });
    assert.ok(sent.bytes < 64 * 1024 * 1024, `server kept reading ${sent.bytes} bytes`);
    assert.ok(sent.reply === '' || /^HTTP\/1\.1 413/.test(sent.reply), sent.reply.slice(0, 40));
    assert.equal((await get(s, '/health/live')).status, 200);
  } finally { await stop(s); }
});

test('stalled readers are disconnected and their requests cancelled', async () => {
  const s = await startServer(['--max-output-bytes', '4096', '--write-timeout', '2', '--socket-send-buffer', '8192']);
  try {
    // Pipelined requests never read (tiny receive window): the pending write times out.
    const pipelined = spawn('python3', ['-c', `
import socket, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
s.connect(("127.0.0.1", ${s.port}))
s.sendall(b"GET /metrics HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n" * 5000)
time.sleep(60)
`], { stdio: 'ignore' });
    try {
      await waitFor(async () => /reader too slow: --write-timeout/.test(s.log()), 30000);
    } finally { pipelined.kill('SIGKILL'); }
    // A stream whose reader stalls (tiny receive window, never reads): cut by the byte bound or
    // the timeout, and its engine request is cancelled.
    const body = JSON.stringify(chat('stall', { stream: true, max_tokens: 3500, ignore_eos: true, temperature: 1, seed: 7 }));
    const py = spawn('python3', ['-c', `
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
s.connect(("127.0.0.1", ${s.port}))
body = sys.argv[1].encode()
s.sendall(b"POST /v1/chat/completions HTTP/1.1\\r\\nHost: x\\r\\nContent-Type: application/json\\r\\nContent-Length: %d\\r\\n\\r\\n" % len(body) + body)
time.sleep(60)
`, body], { stdio: 'ignore' });
    try {
      await waitFor(async () => (s.log().match(/reader too slow/g) || []).length >= 2, 60000);
      await waitFor(async () => {
        const h = await get(s, '/health');
        return h.json.engine.requests_running === 0 && h.json.engine.kv_cache.blocks_used === 0;
      }, 10000);
      assert.equal((await get(s, '/health/live')).status, 200);
    } finally { py.kill('SIGKILL'); }
  } finally { await stop(s); }
});

test('SIGTERM while the model loads: never ready, exit 0', async () => {
  const s = await startServer(['--test-startup-delay', '30', '--drain-delay', '0.2'], { waitReady: false });
  let ready200 = false;
  const poll = setInterval(async () => {
    try { if ((await get(s, '/health/ready')).status === 200) ready200 = true; } catch { /* exiting */ }
  }, 50);
  try {
    await sleep(500);
    s.proc.kill('SIGTERM');
    const exit = await s.exited;
    clearInterval(poll);
    assert.equal(exit.code, 0, s.log());
    assert.equal(ready200, false, 'ready never 200');
  } finally { clearInterval(poll); await stop(s); }
});

test('drain: idle keep-alive connections close; a request arriving then gets 503 + close', async () => {
  const s = await startServer(['--drain-delay', '0.5', '--grace-period', '20']);
  try {
    const idle = net.connect(s.port, '127.0.0.1');
    let idleReply = '';
    let idleClosed = false;
    idle.on('data', (d) => { idleReply += d; });
    idle.on('close', () => { idleClosed = true; });
    idle.write('GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n');
    const late = net.connect(s.port, '127.0.0.1');
    let lateReply = '';
    late.on('data', (d) => { lateReply += d; });
    late.on('error', () => {});
    late.write('GET /health/live HTTP/1.1\r\n');  // head not finished yet
    const streaming = post(s, '/v1/chat/completions', chat('keep going', { stream: true, max_tokens: 400, ignore_eos: true }));
    await waitFor(async () => idleReply.includes('200 OK'), 5000);
    s.proc.kill('SIGTERM');
    await waitFor(async () => /listener_closed/.test(s.log()), 5000);
    await waitFor(async () => idleClosed, 3000);
    late.write('Host: x\r\n\r\n');
    await waitFor(async () => lateReply.length > 0, 3000);
    assert.match(lateReply, /^HTTP\/1\.1 503/);
    assert.match(lateReply, /Connection: close/i);
    const st = await streaming;
    assert.ok(st.text.includes('[DONE]'), 'in-flight stream finished');
    assert.equal((await s.exited).code, 0);
  } finally { await stop(s); }
});

test('grace period expiry: streams in flight get an error event; exit non-zero, logged', async () => {
  const s = await startServer(['--drain-delay', '0', '--grace-period', '1', '--max-running', '2', '--sse-keepalive', '0.5', '--test-hooks']);
  try {
    let started = 0;
    const streams = Array.from({ length: 4 }, (_, i) => new Promise((resolve) => {
      const req = http.request(`${s.url}/v1/chat/completions`, { method: 'POST', headers: { 'Content-Type': 'application/json' } }, (res) => {
        let text = '';
        let counted = false;
        res.on('data', (d) => { text += d; if (!counted) { counted = true; started++; } });
        res.on('end', () => resolve(text));
        res.on('error', () => resolve(text));
      });
      req.on('error', (e) => resolve(String(e)));
      // long enough that no stream can finish before the engine is blocked (400 tokens did once)
      req.end(JSON.stringify(chat(`long ${i}`, { stream: true, max_tokens: 3000, ignore_eos: true })));
    }));
    await waitFor(async () => started === 4, 20000);
    assert.equal((await post(s, '/debug/block-engine', { seconds: 6 })).status, 202);
    s.proc.kill('SIGTERM');
    const texts = await Promise.all(streams);
    // Each stream ends with a retryable 503 event and the end of the stream, not a cut connection.
    for (const t of texts) {
      const last = t.trim().split('\n\n').filter((e) => e.startsWith('data: ')).pop() ?? '';
      const event = JSON.parse(last.slice('data: '.length));
      assert.equal(event.error?.code, 503, `retryable error event: ${t.slice(-300)}`);
      assert.equal(event.error.type, 'unavailable_error');
      assert.match(event.error.message, /retry/);
    }
    const exit = await s.exited;
    assert.equal(exit.signal, null, `exited cleanly, not by ${exit.signal}`);
    assert.equal(exit.code, 3, s.log().slice(-2000));
    assert.match(s.log(), /"event":"request_cut"/);
  } finally { await stop(s); }
});

// CPU seconds (user + system) the process has used so far.
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;  // utime, stime (clock ticks)
}

test('out of descriptors: accept backs off instead of spinning, and serves again once they free', async () => {
  const probe = await startServer(['--http-threads', '1']);
  const baseline = readdirSync(`/proc/${probe.proc.pid}/fd`).length;
  await stop(probe);
  const s = await startServer(['--http-threads', '1'], { nofile: baseline + 12 });
  const sockets = [];
  try {
    // More idle connections than descriptors left: the kernel queues the rest, accept fails.
    for (let i = 0; i < 48; i++) {
      sockets.push(await new Promise((resolve, reject) => {
        const c = net.connect(s.port, '127.0.0.1', () => resolve(c));
        c.on('error', reject);
      }));
    }
    await waitFor(async () => /"event":"accept_failed"/.test(s.log()), 5000);
    const cpu0 = cpuSeconds(s.proc.pid);
    await sleep(2000);
    const spent = cpuSeconds(s.proc.pid) - cpu0;
    assert.ok(spent < 0.5, `accept loop spun: ${spent} CPU s in 2 s at the descriptor limit`);
    const delays = [...s.log().matchAll(/"event":"accept_failed".*?"retry_ms":(\d+)/g)].map((m) => Number(m[1]));
    assert.ok(delays.length >= 3 && Math.max(...delays) >= 80, `back-off grows: ${delays}`);
    assert.match(s.log(), /Too many open files/);
    for (const c of sockets) c.destroy();
    sockets.length = 0;
    await waitFor(async () => (await get(s, '/health/live').catch(() => ({ status: 0 }))).status === 200, 5000);
    const r = await post(s, '/v1/chat/completions', chat('after the limit', { max_tokens: 4 }));
    assert.equal(r.status, 200, r.text);
  } finally {
    for (const c of sockets) c.destroy();
    await stop(s);
  }
});

test('a 3,000-segment translation is admitted whole while probes answer within 1 s', async () => {
  const s = await startServer(['--max-running', '4', '--max-waiting', '8', '--max-translation-segments', '3000']);
  try {
    const segments = Array.from({ length: 3000 }, (_, i) => `第${i}句话。`);
    const over = await post(s, '/v1/translate', { segments: [...segments, 'one more'], target_lang: 'en' });
    assert.equal(over.status, 413, over.text);
    assert.match(over.json.error.message, /--max-translation-segments 3000/);
    const job = new Promise((resolve) => {
      const req = http.request(`${s.url}/v1/translate`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, agent: false }, (res) => {
        resolve({ status: res.statusCode, req });
        res.resume();
      });
      req.on('error', () => resolve({ status: 0, req }));
      req.end(JSON.stringify({ segments, target_lang: 'en', max_tokens: 2, stream: true }));
    });
    const t0 = Date.now();
    let worst = 0;
    let maxWaiting = 0;
    while (Date.now() - t0 < 4000) {
      const a = Date.now();
      assert.equal((await get(s, '/health/live')).status, 200);
      worst = Math.max(worst, Date.now() - a);
      const h = await get(s, '/health');
      maxWaiting = Math.max(maxWaiting, h.json.engine.requests_waiting);
      await sleep(100);
    }
    assert.ok(worst < 1000, `/health/live took ${worst} ms`);
    const { status, req } = await job;
    assert.equal(status, 200, 'the job was admitted');
    assert.ok(maxWaiting <= 8, `the job kept the queue at ${maxWaiting} waiting`);
    const other = await post(s, '/v1/chat/completions', chat('served meanwhile', { max_tokens: 4 }));
    assert.equal(other.status, 200, `other clients are served: ${other.text}`);
    req.destroy();
    await waitFor(async () => (await get(s, '/health')).json.engine.requests_running === 0, 20000);
  } finally { await stop(s); }
});

test('small request rules: content part types, missing content, max_completion_tokens, logit_bias, priority', async () => {
  const s = await startServer();
  try {
    const m = (messages, extra = {}) => post(s, '/v1/chat/completions', { messages, max_tokens: 4, ...extra });
    assert.equal((await m([{ role: 'user', content: [{ type: 5, text: 'x' }] }])).status, 400);
    const missing = await m([{ role: 'user' }]);
    assert.equal(missing.status, 400);
    assert.equal(missing.json.error.param, 'messages[0].content');
    assert.equal((await m([{ role: 'user', content: 'x' }, { role: 'assistant' }, { role: 'user', content: 'y' }])).status, 200);
    const lb = await m([{ role: 'user', content: 'x' }], { logit_bias: { 5: 10 } });
    assert.equal(lb.status, 400);
    assert.equal(lb.json.error.param, 'logit_bias');
    assert.equal((await m([{ role: 'user', content: 'x' }], { priority: 1e9 })).status, 400);
    const c = await post(s, '/v1/completions', { prompt: 'Once', max_completion_tokens: 3, ignore_eos: true });
    assert.equal(c.status, 200, c.text);
    assert.equal(c.json.usage.completion_tokens, 3);
    // A client that half-closes after sending still gets its answer.
    const body = JSON.stringify(chat('half', { max_tokens: 4 }));
    const reply = await new Promise((resolve) => {
      const sock = net.connect(s.port, '127.0.0.1');
      let out = '';
      sock.on('data', (d) => { out += d; });
      sock.on('end', () => resolve(out));
      sock.on('error', () => resolve(out));
      sock.end(`POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    });
    assert.match(reply, /^HTTP\/1\.1 200/);
  } finally { await stop(s); }
});

test('API keys guard /v1/*, not health or metrics; secrets never printed', async () => {
  const s = await startServer(['--api-key', 'k-one,k-two']);
  try {
    assert.equal((await get(s, '/v1/models')).status, 401);
    assert.equal((await get(s, '/v1/models', { Authorization: 'Bearer wrong' })).status, 401);
    assert.equal((await get(s, '/v1/models', { Authorization: 'Bearer k-two' })).status, 200);
    assert.equal((await get(s, '/health')).status, 200);
    assert.equal((await get(s, '/metrics')).status, 200);
    assert.ok(!s.log().includes('k-one') && !s.log().includes('k-two'), 'keys not logged');
  } finally { await stop(s); }
  const printed = await new Promise((resolve) => {
    const p = spawn(BIN, ['serve', '--model', MODEL, '--api-key', 'super-secret', '--print-config']);
    let out = '';
    p.stdout.on('data', (d) => { out += d; });
    p.on('exit', () => resolve(out));
  });
  assert.ok(printed.includes('api-key: <redacted>') && !printed.includes('super-secret'), printed);
});

test('readiness: 503 while loading, 200 when warm; liveness follows the engine watchdog', async () => {
  const s = await startServer(['--test-startup-delay', '2', '--stall-timeout', '1', '--test-hooks'], { waitReady: false });
  try {
    const live = await get(s, '/health/live');
    const ready = await get(s, '/health/ready');
    assert.equal(live.status, 200, 'live during loading');
    assert.equal(ready.status, 503, 'not ready during loading');
    assert.equal(ready.json.phase, 'loading');
    await waitFor(async () => (await get(s, '/health/ready')).status === 200, 60000);
    const block = await post(s, '/debug/block-engine', { seconds: 4 });
    assert.equal(block.status, 202);
    await waitFor(async () => (await get(s, '/health/live')).status === 503, 4000);
    await waitFor(async () => (await get(s, '/health/live')).status === 200, 10000);
  } finally { await stop(s); }
});

test('a client disconnect cancels its request and frees its KV blocks', async () => {
  const s = await startServer();
  try {
    await new Promise((resolve, reject) => {
      const req = http.request(`${s.url}/v1/chat/completions`, { method: 'POST', headers: { 'Content-Type': 'application/json' } }, (res) => {
        res.once('data', () => { req.destroy(); resolve(); });
      });
      req.on('error', () => {});
      req.end(JSON.stringify(chat('long', { stream: true, max_tokens: 400, ignore_eos: true })));
      setTimeout(() => reject(new Error('no first chunk')), 20000);
    });
    await waitFor(async () => {
      const h = await get(s, '/health');
      return h.json.engine.kv_cache.blocks_used === 0 && h.json.engine.requests_running === 0;
    }, 10000);
  } finally { await stop(s); }
});

test('overload: 429 with Retry-After; admitted requests complete', async () => {
  const s = await startServer(['--max-running', '1', '--max-waiting', '2']);
  try {
    const results = await Promise.all(Array.from({ length: 16 }, () =>
      post(s, '/v1/chat/completions', chat('busy', { max_tokens: 24, ignore_eos: true }))));
    const ok = results.filter((r) => r.status === 200);
    const limited = results.filter((r) => r.status === 429);
    assert.equal(ok.length + limited.length, 16, results.map((r) => r.status).join(','));
    assert.ok(limited.length > 0 && ok.length >= 1);
    for (const r of limited) assert.ok(Number(r.headers['retry-after']) >= 1);
    const m = (await get(s, '/metrics')).text;
    assert.ok(m.includes('inference_requests_total{code="429",route="/v1/chat/completions"}'));
    assert.ok(m.includes(`inference_latency_seconds_count ${ok.length}`), 'rejections are not observed in the latency histogram');
  } finally { await stop(s); }
});

test('SIGTERM with 32 streams mid-generation: all finish, exit 0 within the grace period', async () => {
  const s = await startServer(['--drain-delay', '1', '--grace-period', '60']);
  try {
    let started = 0;
    const streams = Array.from({ length: 32 }, (_, i) => new Promise((resolve) => {
      const req = http.request(`${s.url}/v1/chat/completions`, { method: 'POST', headers: { 'Content-Type': 'application/json' } }, (res) => {
        let text = '';
        let counted = false;
        res.on('data', (d) => { text += d; if (!counted) { counted = true; started++; } });
        res.on('end', () => resolve({ status: res.statusCode, text }));
      });
      req.on('error', (e) => resolve({ status: 0, text: String(e) }));
      req.end(JSON.stringify(chat(`stream ${i}`, { stream: true, max_tokens: 48, ignore_eos: true })));
    }));
    await waitFor(async () => started === 32, 30000);
    const t0 = Date.now();
    s.proc.kill('SIGTERM');
    await sleep(200);
    assert.equal((await get(s, '/health/ready')).status, 503, 'not ready once draining');
    const done = await Promise.all(streams);
    const failed = done.filter((r) => r.status !== 200 || !r.text.includes('data: [DONE]'));
    assert.equal(failed.length, 0, `failed streams: ${failed.length}`);
    const exit = await s.exited;
    assert.equal(exit.code, 0);
    assert.ok(Date.now() - t0 < 60000);
  } finally { await stop(s); }
});

test('holds 1,000 concurrent connections (64 streaming)', async () => {
  const s = await startServer(['--keepalive-timeout', '60']);
  try {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1000 });
    const idle = Array.from({ length: 936 }, () => new Promise((resolve) => {
      const req = http.request(`${s.url}/health/live`, { agent }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)); });
      req.on('error', () => resolve(0));
      req.end();
    }));
    const streaming = Array.from({ length: 64 }, (_, i) => post(s, '/v1/chat/completions', chat(`s${i}`, { stream: true, max_tokens: 8 })));
    const codes = await Promise.all(idle);
    assert.equal(codes.filter((c) => c === 200).length, 936);
    const st = await Promise.all(streaming);
    assert.equal(st.filter((r) => r.status === 200 && r.text.includes('[DONE]')).length, 64);
    assert.equal((await get(s, '/health/ready')).status, 200, 'still answering with 1,000 connections open');
    agent.destroy();
  } finally { await stop(s); }
});

// DSINFER_TEST_FILTER=regex runs only the tests whose name matches (local runs; the TSan step of
// scripts/test.sh). A filter that selects nothing is an error, not a pass.
const filter = process.env.DSINFER_TEST_FILTER ? new RegExp(process.env.DSINFER_TEST_FILTER) : null;
const selected = filter ? tests.filter((t) => filter.test(t.name)) : tests;
if (selected.length === 0) throw new Error(`DSINFER_TEST_FILTER=${process.env.DSINFER_TEST_FILTER} selects no test`);
let failures = 0;
for (const t of selected) {
  const start = Date.now();
  try {
    await t.fn();
    console.log(`PASS ${t.name} (${Date.now() - start} ms)`);
  } catch (e) {
    failures++;
    console.log(`FAIL ${t.name}\n  ${e.stack || e}`);
  }
}
console.log(`${selected.length - failures}/${selected.length} server integration tests passed`);
process.exit(failures ? 1 : 0);
