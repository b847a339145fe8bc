// Integration tests of `dsinfer serve`: real processes on 127.0.0.1, real clients (curl-like
// raw HTTP, Node's http, the official `openai` package). Each test starts its own server.
import { spawn } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import assert from 'node:assert/strict';
import OpenAI from 'openai';

const BIN = process.env.DSINFER_BIN;
const MODEL = process.argv[2];
if (!BIN || !MODEL) throw new Error('usage: DSINFER_BIN=... node server_test.mjs MODEL.gguf');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function startServer(args = [], { waitReady = true } = {}) {
  const proc = spawn(BIN, ['serve', '--model', MODEL, '--host', '127.0.0.1', '--port', '0',
    '--kv-cache-mem', '64MiB', '--warmup-requests', '2', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
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

let failures = 0;
for (const t of tests) {
  const start = Date.now();
  try {
    await t.fn();
    console.log(`PASS ${t.name} (${Date.now() - start} ms)`);
  } catch (e) {
    failures++;
    console.log(`FAIL ${t.name}\n  ${e.stack || e}`);
  }
}
console.log(`${tests.length - failures}/${tests.length} server integration tests passed`);
process.exit(failures ? 1 : 0);
