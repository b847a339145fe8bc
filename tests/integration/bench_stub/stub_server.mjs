// Stub OpenAI-compatible / dsinfer server for the load generator's tests: deterministic
// delays (TTFT, inter-token), SSE chunks, injected 429s and dropped connections, and a record
// of request arrival times (GET /stats). Plain node:http, no packages.
//
// Usage: node stub_server.mjs [key=value ...] — prints {"port": N} on its first stdout line.
//   port=0            listen port (0: any free port)
//   ttft_ms=100       delay from request arrival to the first output chunk
//   itl_ms=10         delay between output chunks
//   tokens=0          output chunks per request (0: the request's max_tokens)
//   usage=1           send usage (prompt_tokens / completion_tokens); 0: never
//   status_every=0    every Nth request (1-based arrival order) is answered with status_code
//   status_code=429
//   drop_every=0      every Nth request: stream drop_after chunks, then destroy the socket
//   drop_after=2
//   ignore_stream=0   1: always answer with one JSON body, as servers without streaming do
//   slots=0           > 0: emulated capacity; each request's delays are multiplied by
//                     max(1, in_flight / slots) measured when it arrives
import http from 'node:http';

const cfg = {
  port: 0, ttft_ms: 100, itl_ms: 10, tokens: 0, usage: 1, status_every: 0, status_code: 429,
  drop_every: 0, drop_after: 2, slots: 0, ignore_stream: 0,
};
for (const arg of process.argv.slice(2)) {
  const eq = arg.indexOf('=');
  const key = arg.slice(0, eq);
  if (eq < 0 || !(key in cfg)) {
    console.error(`stub_server: unknown argument ${arg}`);
    process.exit(2);
  }
  cfg[key] = Number(arg.slice(eq + 1));
}

const t0 = process.hrtime.bigint();
const nowMs = () => Number(process.hrtime.bigint() - t0) / 1e6;
const arrivals = [];  // ms since start, per generation request
let inFlight = 0;
let counter = 0;

function readBody(req) {
  return new Promise((resolve) => {
    const parts = [];
    req.on('data', (c) => parts.push(c));
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
  });
}

function chunkFor(route, i, text) {
  if (route === '/v1/translate') return { index: i, translation: text };
  if (route === '/v1/completions') {
    return { id: 'cmpl-stub', object: 'text_completion', created: 0, model: 'stub-model',
             choices: [{ index: 0, text, finish_reason: null }] };
  }
  return { id: 'chatcmpl-stub', object: 'chat.completion.chunk', created: 0, model: 'stub-model',
           choices: [{ index: 0, delta: { content: text }, finish_reason: null }] };
}

function wholeResponse(route, n, usage) {
  const text = 'tok '.repeat(n);
  if (route === '/v1/translate') return { translation: text, model: 'stub-model', usage };
  if (route === '/v1/completions') {
    return { id: 'cmpl-stub', object: 'text_completion', model: 'stub-model',
             choices: [{ index: 0, text, finish_reason: 'length' }], usage };
  }
  return { id: 'chatcmpl-stub', object: 'chat.completion', model: 'stub-model',
           choices: [{ index: 0, message: { role: 'assistant', content: text },
                       finish_reason: 'length' }], usage };
}

async function generate(req, res, route) {
  const arrival = nowMs();
  arrivals.push(arrival);
  const n = ++counter;
  inFlight++;
  let finished = false;
  const done = () => { if (!finished) { finished = true; inFlight--; } };
  res.on('close', done);
  const body = await readBody(req);
  let request;
  try {
    request = JSON.parse(body);
  } catch {
    res.writeHead(400, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: 'bad JSON', type: 'invalid_request_error' } }));
    return;
  }
  if (cfg.status_every > 0 && n % cfg.status_every === 0) {
    res.writeHead(cfg.status_code, { 'content-type': 'application/json', 'retry-after': '1' });
    res.end(JSON.stringify({ error: { message: 'stub: injected status', type: 'overloaded', code: cfg.status_code } }));
    return;
  }
  const tokens = cfg.tokens > 0 ? cfg.tokens : (request.max_tokens ?? 16);
  const scale = cfg.slots > 0 ? Math.max(1, inFlight / cfg.slots) : 1;
  const ttft = cfg.ttft_ms * scale;
  const itl = cfg.itl_ms * scale;
  const usage = cfg.usage ? { prompt_tokens: 42, completion_tokens: tokens, total_tokens: 42 + tokens } : undefined;
  const dropAt = cfg.drop_every > 0 && n % cfg.drop_every === 0 ? cfg.drop_after : -1;
  const at = (ms) => new Promise((r) => setTimeout(r, Math.max(0, arrival + ms - nowMs())));

  if (request.stream === false || cfg.ignore_stream) {
    await at(ttft + (tokens - 1) * itl);
    if (dropAt >= 0) { req.socket.destroy(); return; }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(wholeResponse(route, tokens, usage)));
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  if (route === '/v1/chat/completions') {  // a role-only first chunk, as OpenAI and vLLM send
    res.write(`data: ${JSON.stringify({ id: 'chatcmpl-stub', object: 'chat.completion.chunk',
      choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] })}\n\n`);
  }
  res.write(': keep-alive while waiting\n\n');
  for (let i = 0; i < tokens; i++) {
    await at(ttft + i * itl);
    if (res.destroyed) return;
    if (i === dropAt) { req.socket.destroy(); return; }
    res.write(`data: ${JSON.stringify(chunkFor(route, i, ` t${i}`))}\n\n`);
  }
  if (route === '/v1/translate') {
    if (usage) res.write(`data: ${JSON.stringify({ usage, cached_segments: 0 })}\n\n`);
  } else {
    const last = chunkFor(route, tokens, '');
    if (last.choices[0].delta) last.choices[0].delta = {};
    last.choices[0].finish_reason = 'length';
    res.write(`data: ${JSON.stringify(last)}\n\n`);
    if (usage && request.stream_options?.include_usage) {
      res.write(`data: ${JSON.stringify({ id: 'stub', object: 'chat.completion.chunk', choices: [], usage })}\n\n`);
    }
  }
  res.end('data: [DONE]\n\n');
}

const server = http.createServer(async (req, res) => {
  const route = req.url.split('?')[0];
  try {
    if (req.method === 'POST' && ['/v1/chat/completions', '/v1/completions', '/v1/translate'].includes(route)) {
      await generate(req, res, route);
    } else if (req.method === 'GET' && route === '/v1/models') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ object: 'list', data: [{ id: 'stub-model', object: 'model' }] }));
    } else if (req.method === 'GET' && route === '/metrics') {
      const cpu = process.cpuUsage();
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end('# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.\n' +
              '# TYPE process_cpu_seconds_total counter\n' +
              `process_cpu_seconds_total ${(cpu.user + cpu.system) / 1e6}\n`);
    } else if (req.method === 'GET' && route === '/stats') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ arrivals_ms: arrivals, in_flight: inFlight }));
    } else {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `no route ${route}` } }));
    }
  } catch (e) {
    console.error('stub_server:', e);
    if (!res.headersSent) res.writeHead(500);
    res.end();
  }
});
server.keepAliveTimeout = 5000;
server.listen(cfg.port, '127.0.0.1', () => {
  console.log(JSON.stringify({ port: server.address().port }));
});
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
