// Soak of `dsinfer serve` (not in CI): 64 concurrent loopback clients mixing every route,
// streaming, clients that vanish mid-answer, malformed requests and 429s. The first --warmup
// seconds fill the caches (KV pool pages, prefix and translation caches) under the same load;
// then the open-file count and resident memory are sampled, the load runs --seconds more (RSS
// printed every minute), and both are compared at the end (same fds, RSS within 10 %).
// Usage: node soak_server.mjs --bin DSINFER --model M.gguf [--seconds 510] [--warmup 90]
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
  if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1]]);
  return acc;
}, []));
const BIN = args.bin;
const MODEL = args.model;
const SECONDS = Number(args.seconds || 510);
const WARMUP = Number(args.warmup || 90);
const CLIENTS = Number(args.clients || 64);
if (!BIN || !MODEL) throw new Error('usage: node soak_server.mjs --bin DSINFER --model M.gguf [--seconds N]');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const proc = spawn('nice', ['-n', '10', BIN, 'serve', '--model', MODEL, '--host', '127.0.0.1', '--port', '0',
  '--kv-cache-mem', '16MiB', '--translation-cache-bytes', '1048576', '--warmup-requests', '2', '--threads', '1', '--max-connections', '256',
  '--max-waiting', '32', '--no-log-requests'], { stdio: ['ignore', 'ignore', 'pipe'] });
let log = '';
const port = await new Promise((resolve, reject) => {
  proc.stderr.on('data', (d) => {
    log = (log + d.toString()).slice(-20000);
    const m = log.match(/"event":"listening","host":"[^"]*","port":(\d+)/);
    if (m) resolve(Number(m[1]));
  });
  proc.on('exit', (code) => reject(new Error(`server exited ${code}: ${log}`)));
});

function sample() {
  const fds = readdirSync(`/proc/${proc.pid}/fd`).length;
  const rss = Number(readFileSync(`/proc/${proc.pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1]) * 1024;
  return { fds, rss };
}

function request(method, path, body, { vanishAfterMs } = {}) {
  return new Promise((resolve) => {
    const data = body === undefined ? undefined : (typeof body === 'string' ? body : JSON.stringify(body));
    const req = http.request({ host: '127.0.0.1', port, method, path, agent: false, headers: { 'Content-Type': 'application/json' } }, (res) => {
      res.on('data', () => {
        if (vanishAfterMs !== undefined) req.destroy();
      });
      res.on('end', () => resolve(res.statusCode));
      res.on('error', () => resolve(-1));
    });
    req.on('error', () => resolve(-1));
    if (vanishAfterMs !== undefined) setTimeout(() => { req.destroy(); resolve(-1); }, vanishAfterMs);
    req.end(data);
  });
}

const chat = (content, extra = {}) => ({ messages: [{ role: 'user', content }], max_tokens: 8, temperature: 0, ...extra });
const mix = [
  () => request('GET', '/health/live'),
  () => request('GET', '/metrics'),
  () => request('POST', '/v1/chat/completions', chat('Hello there')),
  () => request('POST', '/v1/chat/completions', chat('Stream me', { stream: true, max_tokens: 16 })),
  () => request('POST', '/v1/chat/completions', chat('Vanish', { stream: true, max_tokens: 200, ignore_eos: true }), { vanishAfterMs: 30 }),
  () => request('POST', '/v1/completions', { prompt: 'Once upon a time', max_tokens: 8 }),
  () => request('POST', '/v1/translate', { text: `今天天气很好。我们${Math.floor(Math.random() * 50)}点见面！`, target_lang: 'en', max_tokens: 8 }),
  () => request('POST', '/v1/translate', { segments: ['一。', '二。', '三。'], target_lang: 'en', max_tokens: 6, stream: true }),
  () => request('POST', '/v1/translate', { segments: ['四。', '五。'], target_lang: 'en', max_tokens: 100 }, { vanishAfterMs: 20 }),
  () => request('POST', '/v1/chat/completions', '{"messages": ['),
];

// Warm-up until ready, plus one round of every request kind, then the baseline sample.
for (;;) {
  if (await request('GET', '/health/ready') === 200) break;
  await sleep(200);
}
const codes = {};
let total = 0;
async function load(seconds, onMinute) {
  const end = Date.now() + seconds * 1000;
  const timer = onMinute ? setInterval(onMinute, 60000) : null;
  await Promise.all(Array.from({ length: CLIENTS }, async (_, c) => {
    let i = c;
    while (Date.now() < end) {
      const code = await mix[i++ % mix.length]();
      codes[code] = (codes[code] || 0) + 1;
      total++;
    }
  }));
  if (timer) clearInterval(timer);
}
await load(WARMUP);
await sleep(3000);
const start = sample();
console.log(JSON.stringify({ phase: 'start', ...start }));
await load(SECONDS, () => console.log(JSON.stringify({ phase: 'minute', ...sample() })));
await sleep(3000);  // let vanished clients' work drain
const finish = sample();
const live = await request('GET', '/health/live');
proc.kill('SIGTERM');
const exit = await new Promise((r) => proc.on('exit', (code) => r(code)));
const rssRatio = finish.rss / start.rss;
console.log(JSON.stringify({ warmup_seconds: WARMUP, seconds: SECONDS, clients: CLIENTS, requests: total, codes, start, end: finish,
  rss_ratio: Number(rssRatio.toFixed(3)), live_at_end: live, exit_code: exit }));
const ok = finish.fds === start.fds && rssRatio <= 1.10 && live === 200 && exit === 0 && !codes['503'];
console.log(ok ? 'SOAK PASSED' : 'SOAK FAILED');
process.exit(ok ? 0 : 1);
