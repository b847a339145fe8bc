// dsinfer's DeepL- and LibreTranslate-compatible endpoints with real clients: the official
// `deepl-node` package (pointed at the server with serverUrl) and LibreTranslate's JSON API over
// plain HTTP (fetch). The model has random weights: structure is checked, not meaning.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import * as deepl from 'deepl-node';

const BIN = process.env.DSINFER_BIN;
const MODEL = process.argv[2];
if (!BIN || !MODEL) throw new Error('usage: DSINFER_BIN=... node translation_apis_test.mjs MODEL.gguf');

const tmp = fs.mkdtempSync(path.join(process.env.DSINFER_TEST_TMP || os.tmpdir(), 'translation-apis-'));
const glossaryDir = path.join(tmp, 'glossaries');
fs.mkdirSync(glossaryDir);
fs.writeFileSync(path.join(glossaryDir, 'acme.en-de.tsv'), 'widget\tBauteil\nAcme\tAcme\n');
fs.writeFileSync(path.join(glossaryDir, 'legal.en-fr.csv'), '"contract, signed",contrat signé\n');

async function startServer(args = []) {
  const proc = spawn(BIN, ['serve', '--model', MODEL, '--host', '127.0.0.1', '--port', '0',
    '--kv-cache-mem', '64MiB', '--warmup-requests', '0', '--glossary-dir', glossaryDir,
    '--api-key', 'key-one', '--api-key', 'key-two', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  const port = await new Promise((resolve, reject) => {
    proc.stderr.on('data', (d) => {
      log += d.toString();
      const m = log.match(/"event":"listening","host":"[^"]*","port":(\d+)/);
      if (m) resolve(Number(m[1]));
    });
    proc.on('exit', (code) => reject(new Error(`server exited ${code}: ${log}`)));
  });
  const url = `http://127.0.0.1:${port}`;
  const server = { proc, url, log: () => log };
  server.exited = new Promise((r) => proc.on('exit', (code, signal) => r({ code, signal })));
  const end = Date.now() + 60000;
  while (Date.now() < end) {
    try {
      if ((await fetch(url + '/health/ready')).status === 200) return server;
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('server not ready: ' + log);
}

async function stop(server) {
  if (server.proc.exitCode === null) server.proc.kill('SIGKILL');
  await server.exited;
}

const tags = (html) => html.match(/<[^>]*>|&[a-z#0-9]+;/gi)?.filter((t) => !/^&(amp|lt|gt|quot|apos|#39);$/.test(t)) ?? [];

async function json(server, method, route, body, headers = {}) {
  const res = await fetch(server.url + route, {
    method, headers: { 'Content-Type': 'application/json', ...headers },
    body: body === undefined ? undefined : (typeof body === 'string' ? body : JSON.stringify(body)),
  });
  const text = await res.text();
  let parsed;
  try { parsed = JSON.parse(text); } catch { parsed = undefined; }
  return { status: res.status, headers: res.headers, text, json: parsed };
}

// A request on its own connection whose client goes away after `ms` (before the answer): with a
// FIN (a half-close, noticed when the answer cannot be written) or, `reset`, an RST (noticed at
// once).
function vanish(server, route, body, headers = {}, { reset = false, ms = 100 } = {}) {
  return new Promise((resolve) => {
    const req = http.request(server.url + route, {
      method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, agent: false,
    }, () => {});
    req.on('error', () => resolve());
    req.end(JSON.stringify(body));
    setTimeout(() => {
      if (reset && req.socket) req.socket.resetAndDestroy(); else req.destroy();
      resolve();
    }, ms);
  });
}

// A request on its own connection (no keep-alive pool: every request takes a connection slot).
function once(server, method, route, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(server.url + route, {
      method, headers: { 'Content-Type': 'application/json', ...headers }, agent: false,
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        let parsed;
        try { parsed = JSON.parse(text); } catch { parsed = undefined; }
        resolve({ status: res.statusCode, headers: res.headers, text, json: parsed });
      });
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

const tests = [];
const test = (name, fn) => tests.push({ name, fn });

test('deepl-node: texts, detection, languages, usage, html, glossaries, errors', async () => {
  const s = await startServer();
  try {
    const client = new deepl.Translator('key-one', { serverUrl: s.url, maxRetries: 0 });
    const single = await client.translateText('Hello world. This is a small test of the service.', null, 'de');
    assert.equal(typeof single.text, 'string');
    assert.equal(single.detectedSourceLang, 'en');
    assert.equal(single.billedCharacters, 'Hello world. This is a small test of the service.'.length);

    const many = await client.translateText(['First line\nSecond line\n\nFourth line', 'Another text to translate.'], 'en', 'fr');
    assert.equal(many.length, 2);
    assert.equal(many[0].text.split('\n').length, 4, JSON.stringify(many[0].text));  // N lines in, N out
    assert.equal(many[0].detectedSourceLang, 'en');

    const german = await client.translateText('Das ist ein ganz normaler deutscher Satz über das Wetter in Berlin.', null, 'en-US');
    assert.equal(german.detectedSourceLang, 'de');

    const source = await client.getSourceLanguages();
    assert.ok(source.some((l) => l.code === 'en' && l.name === 'English'));
    const target = await client.getTargetLanguages();
    assert.ok(target.some((l) => l.code === 'en-US'));
    assert.ok(target.some((l) => l.code.toLowerCase() === 'zh-hans'));
    assert.equal(target.find((l) => l.code === 'de').supportsFormality, true);

    const html = '<div><p>Hello <b class="x">bold</b> and <a href="/a?b=1&amp;c=2">a link</a>.</p><p>Line<br/>break &copy;</p></div>';
    const translated = await client.translateText(html, 'en', 'de', { tagHandling: 'html' });
    assert.deepEqual(tags(translated.text), tags(html), translated.text);

    const formal = await client.translateText('How are you today, my friend?', 'en', 'de', { formality: 'more', context: 'A letter.' });
    assert.equal(typeof formal.text, 'string');

    const glossaries = await client.listGlossaries();
    assert.deepEqual(glossaries.map((g) => g.glossaryId).sort(), ['acme.en-de', 'legal.en-fr']);
    const acme = await client.getGlossary('acme.en-de');
    assert.equal(acme.sourceLang, 'en');
    assert.equal(acme.targetLang, 'de');
    assert.equal(acme.entryCount, 2);
    assert.ok(acme.ready);
    const entries = await client.getGlossaryEntries(acme);
    assert.equal(entries.entries().widget, 'Bauteil');
    const withGlossary = await client.translateText('The widget from Acme is broken.', 'en', 'de', { glossary: acme });
    assert.equal(typeof withGlossary.text, 'string');
    await assert.rejects(client.translateText('The widget.', 'en', 'fr', { glossary: 'acme.en-de' }),
      (e) => e instanceof deepl.DeepLError && /glossary 'acme.en-de' is for en -> de/.test(e.message));
    await assert.rejects(client.getGlossary('nope'), (e) => e instanceof deepl.GlossaryNotFoundError);
    await assert.rejects(client.createGlossary('mine', 'en', 'de', new deepl.GlossaryEntries({ entries: { a: 'b' } })),
      (e) => e instanceof deepl.DeepLError && /provisioned as files/.test(e.message));
    const pairs = await client.getGlossaryLanguagePairs();
    assert.ok(pairs.some((p) => p.sourceLang === 'en' && p.targetLang === 'de'));

    // Usage is per key: everything above was billed to key-one.
    const billed = single.billedCharacters + many.reduce((n, r) => n + r.billedCharacters, 0) +
      german.billedCharacters + translated.billedCharacters + formal.billedCharacters + withGlossary.billedCharacters;
    const usage = await client.getUsage();
    assert.equal(usage.character.count, billed);
    assert.equal(usage.anyLimitReached(), false);
    const other = new deepl.Translator('key-two', { serverUrl: s.url, maxRetries: 0 });
    assert.equal((await other.getUsage()).character.count, 0);

    const wrong = new deepl.Translator('not-a-key', { serverUrl: s.url, maxRetries: 0 });
    await assert.rejects(wrong.translateText('Hello', null, 'de'), deepl.AuthorizationError);
    await assert.rejects(wrong.getUsage(), deepl.AuthorizationError);
    await assert.rejects(client.translateText('Hello', null, 'xx'),
      (e) => e instanceof deepl.DeepLError && !(e instanceof deepl.AuthorizationError) &&
        /Bad request, message: Value for 'target_lang' not supported/.test(e.message));
  } finally {
    await stop(s);
  }
});

test('deepl: JSON bodies, 413 over 50 texts, 429 with Retry-After, error shapes', async () => {
  const s = await startServer(['--max-running', '1', '--max-waiting', '1']);
  try {
    const auth = { Authorization: 'DeepL-Auth-Key key-two' };
    const ok = await json(s, 'POST', '/v2/translate', { text: ['Hola, ¿cómo estás hoy por la mañana?'], target_lang: 'EN-GB' }, auth);
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.json.translations[0].detected_source_language, 'ES');
    const noKey = await json(s, 'POST', '/v2/translate', { text: ['x'], target_lang: 'DE' });
    assert.equal(noKey.status, 403);
    assert.ok(noKey.json.message);
    const missing = await json(s, 'POST', '/v2/translate', { target_lang: 'DE' }, auth);
    assert.equal(missing.status, 400);
    assert.deepEqual(missing.json, { message: "Parameter 'text' not specified." });
    const tooMany = await json(s, 'POST', '/v2/translate', { text: Array(51).fill('x'), target_lang: 'DE' }, auth);
    assert.equal(tooMany.status, 413);
    assert.ok(tooMany.json.message);
    const form = await fetch(s.url + '/v2/translate', { method: 'POST', headers: { ...auth, 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'text=%zz&target_lang=DE' });
    assert.equal(form.status, 400);
    // Overload: one running, one waiting; the rest are refused with DeepL's 429.
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) =>
      json(s, 'POST', '/v2/translate', { text: [`Sentence number ${i} that keeps the engine busy.`], target_lang: 'DE', source_lang: 'EN' }, auth)));
    const limited = results.filter((r) => r.status === 429);
    assert.ok(limited.length > 0, results.map((r) => r.status).join(','));
    assert.ok(Number(limited[0].headers.get('retry-after')) >= 1);
    assert.ok(typeof limited[0].json.message === 'string');
    assert.ok(results.some((r) => r.status === 200));
  } finally {
    await stop(s);
  }
});

test('libretranslate: translate, arrays, html, languages, detect, errors', async () => {
  const s = await startServer();
  try {
    const one = await json(s, 'POST', '/translate', { q: 'Good morning, how are you doing today?', source: 'auto', target: 'es', api_key: 'key-one' });
    assert.equal(one.status, 200, one.text);
    assert.equal(typeof one.json.translatedText, 'string');
    assert.equal(one.json.detectedLanguage.language, 'en');
    assert.ok(one.json.detectedLanguage.confidence > 0 && one.json.detectedLanguage.confidence <= 100);
    const arr = await json(s, 'POST', '/translate', { q: ['One line\nTwo lines', 'Second text here.'], source: 'en', target: 'de', api_key: 'key-two' });
    assert.equal(arr.status, 200, arr.text);
    assert.equal(arr.json.translatedText.length, 2);
    assert.equal(arr.json.translatedText[0].split('\n').length, 2);
    assert.equal(arr.json.detectedLanguage, undefined);
    const html = '<p>Click <a href="#x">here</a> to <em>continue</em>.</p><!-- c -->';
    const h = await json(s, 'POST', '/translate', { q: html, source: 'en', target: 'fr', format: 'html', api_key: 'key-one' });
    assert.equal(h.status, 200, h.text);
    assert.deepEqual(tags(h.json.translatedText), tags(html));
    const form = await fetch(s.url + '/translate', { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'q=Bonjour+tout+le+monde&source=fr&target=en&api_key=key-one' });
    assert.equal(form.status, 200);

    const langs = await json(s, 'GET', '/languages');
    assert.equal(langs.status, 200);
    const en = langs.json.find((l) => l.code === 'en');
    assert.equal(en.name, 'English');
    assert.ok(en.targets.includes('de'));
    const detect = await json(s, 'POST', '/detect', { q: 'Это обычное предложение на русском языке о погоде.', api_key: 'key-one' });
    assert.equal(detect.status, 200);
    assert.equal(detect.json[0].language, 'ru');
    assert.ok(detect.json[0].confidence > 50);

    const bad = [
      [{ source: 'en', target: 'de', api_key: 'key-one' }, 400, /missing q/],
      [{ q: 'x', source: 'en', api_key: 'key-one' }, 400, /missing target/],
      [{ q: 'x', source: 'en', target: 'xx', api_key: 'key-one' }, 400, /xx is not supported/],
      [{ q: 'x', source: 'en', target: 'de', api_key: 'wrong' }, 403, /Invalid API key/],
      [{ q: 'x', source: 'en', target: 'de' }, 403, /api_key/],
    ];
    for (const [body, status, re] of bad) {
      const r = await json(s, 'POST', '/translate', body);
      assert.equal(r.status, status, r.text);
      assert.equal(typeof r.json.error, 'string', r.text);
      assert.match(r.json.error, re);
    }
    const notJson = await json(s, 'POST', '/translate', '{nope');
    assert.equal(notJson.status, 400);
    assert.equal(typeof notJson.json.error, 'string');
  } finally {
    await stop(s);
  }
});

const deeplAuth = { Authorization: 'DeepL-Auth-Key key-one' };
const deeplBody = (i) => ({ text: [`Sentence ${i} of a client that may leave before the answer.`], target_lang: 'DE', source_lang: 'EN' });
const libreBody = (i) => ({ q: `Sentence ${i} of a client that may leave before the answer.`, source: 'en', target: 'fr', api_key: 'key-one' });
const requestCount = (metrics, route, code) =>
  Number(metrics.match(new RegExp(`inference_requests_total\\{code="${code}",route="${route}"\\} (\\d+)`))?.[1] ?? 0);

// Polls until `pred` holds (20 s at most).
async function until(pred, what) {
  const end = Date.now() + 20000;
  while (!(await pred().catch(() => false))) {
    assert.ok(Date.now() < end, `not reached in time: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('deepl + libretranslate: clients that vanish give their connection slots back, counted as 499', async () => {
  const maxConn = 4;
  const rounds = 6;  // 12 vanished clients: 3 x --max-connections
  const s = await startServer(['--max-connections', String(maxConn), '--test-hooks']);
  const idle = async () => {
    const h = await once(s, 'GET', '/health');
    return h.status === 200 && h.json.engine.requests_running === 0 && h.json.engine.requests_waiting === 0;
  };
  try {
    for (let i = 0; i < rounds; i++) {
      // The engine is held: both requests are still queued when their clients reset the
      // connection. Their jobs are cancelled; the slots come back once the engine has dropped
      // them; a slot never returned would make a later request 503 (refused unread, uncounted).
      assert.equal((await once(s, 'POST', '/debug/block-engine', { seconds: 0.3 })).status, 202);
      await vanish(s, '/v2/translate', deeplBody(i), deeplAuth, { reset: true, ms: 50 });
      await vanish(s, '/translate', libreBody(i), {}, { reset: true, ms: 50 });
      await until(idle, 'engine idle after round ' + i);
    }
    let m = (await once(s, 'GET', '/metrics')).text;
    assert.equal(requestCount(m, '/v2/translate', 499), rounds, 'deepl: every vanished client is a 499');
    assert.equal(requestCount(m, '/translate', 499), rounds, 'libretranslate: every vanished client is a 499');
    assert.equal(requestCount(m, '/v2/translate', 200) + requestCount(m, '/translate', 200), 0, 'cancelled, not answered');
    // A client that half-closes (FIN) is noticed when its answer cannot be written.
    await vanish(s, '/v2/translate', deeplBody(50), deeplAuth, { ms: 20 });
    await vanish(s, '/translate', libreBody(50), {}, { ms: 20 });
    await until(idle, 'engine idle after half-closed clients');
    for (let i = 0; i < 2 * maxConn; i++) {
      const d = await once(s, 'POST', '/v2/translate', deeplBody(100 + i), deeplAuth);
      assert.equal(d.status, 200, `deepl #${i}: ${d.status} ${d.text}`);
      const l = await once(s, 'POST', '/translate', libreBody(100 + i));
      assert.equal(l.status, 200, `libretranslate #${i}: ${l.status} ${l.text}`);
    }
    m = (await once(s, 'GET', '/metrics')).text;
    for (const route of ['/v2/translate', '/translate']) {
      assert.equal(requestCount(m, route, 499) + requestCount(m, route, 200), rounds + 1 + 2 * maxConn, route);
    }
  } finally {
    await stop(s);
  }
});

test('429 in each translation API\'s shape, with Retry-After', async () => {
  const s = await startServer(['--max-running', '1', '--max-waiting', '1', '--test-hooks']);
  try {
    // The engine held, one request waiting (--max-waiting 1): the next ones are refused.
    assert.equal((await once(s, 'POST', '/debug/block-engine', { seconds: 2 })).status, 202);
    await new Promise((r) => setTimeout(r, 200));
    const waiting = once(s, 'POST', '/v2/translate', deeplBody(200), deeplAuth);
    await new Promise((r) => setTimeout(r, 200));
    const d = await once(s, 'POST', '/v2/translate', deeplBody(201), deeplAuth);
    assert.equal(d.status, 429, d.text);
    assert.deepEqual(Object.keys(d.json), ['message'], d.text);
    assert.ok(Number(d.headers['retry-after']) >= 1);
    const l = await once(s, 'POST', '/translate', libreBody(201));
    assert.equal(l.status, 429, l.text);
    assert.deepEqual(Object.keys(l.json), ['error'], l.text);
    assert.equal(typeof l.json.error, 'string');
    assert.ok(Number(l.headers['retry-after']) >= 1);
    const v = await once(s, 'POST', '/v1/translate', { text: 'Sentence 201.', target_lang: 'de' }, { Authorization: 'Bearer key-one' });
    assert.equal(v.status, 429, v.text);
    assert.equal(v.json.error.code, 429, v.text);
    assert.ok(Number(v.headers['retry-after']) >= 1);
    assert.equal((await waiting).status, 200);
  } finally {
    await stop(s);
  }
});

const sseData = (text) => text.split('\n\n').filter((e) => e.startsWith('data: ')).map((e) => e.slice(6));

test('/v1/translate on the shared core: markup, detection, glossary ids, misses, context, stream', async () => {
  const s = await startServer();
  try {
    const auth = { Authorization: 'Bearer key-one' };
    const v1 = (body) => json(s, 'POST', '/v1/translate', body, auth);

    // HTML: the markup comes back byte for byte (tags, attributes, comments, entities).
    const html = '<div class="a" data-x=\'1 "2"\'><p>Hello <b>bold</b> and <a href="/a?b=1&amp;c=2">a link</a>.</p><!-- keep --><p>Line<br/>two &copy;</p></div>';
    const h = await v1({ text: html, source_lang: 'en', target_lang: 'de', format: 'html' });
    assert.equal(h.status, 200, h.text);
    assert.deepEqual(tags(h.json.translation), tags(html), h.json.translation);
    assert.equal(h.json.detected_source_lang, undefined, 'no detection when source_lang is given');
    const xml = '<doc><title>A title here</title><body>Some <em>text</em> here.</body></doc>';
    const x = await v1({ segments: [xml], source_lang: 'en', target_lang: 'fr', format: 'xml' });
    assert.equal(x.status, 200, x.text);
    assert.deepEqual(tags(x.json.translations[0]), tags(xml));

    // Detection when source_lang is absent (or "auto").
    const german = 'Das ist ein ganz normaler deutscher Satz über das Wetter in Berlin.';
    const d = await v1({ text: german, target_lang: 'en' });
    assert.equal(d.status, 200, d.text);
    assert.equal(d.json.detected_source_lang, 'de');
    assert.ok(d.json.detected_confidence > 0.5 && d.json.detected_confidence <= 1, d.text);
    const batch = await v1({ segments: [german, 'Это обычное предложение на русском языке о погоде.'], source_lang: 'auto', target_lang: 'en' });
    assert.equal(batch.status, 200, batch.text);
    assert.deepEqual(batch.json.details.map((r) => r.detected_source_lang), ['de', 'ru']);

    // Glossary by id (the --glossary-dir store) and inline; misses are exactly the terms whose
    // target the output lacks.
    const source = 'The widget from Acme is broken. Another widget works.';
    const g = await v1({ text: source, source_lang: 'en', target_lang: 'de', glossary_id: 'acme.en-de', glossary: { broken: 'kaputt' }, context: 'A support ticket.', formality: 'more' });
    assert.equal(g.status, 200, g.text);
    assert.ok(Array.isArray(g.json.glossary_misses), g.text);
    const terms = { widget: 'Bauteil', Acme: 'Acme', broken: 'kaputt' };
    const missed = Object.entries(terms).filter(([, t]) => !g.json.translation.toLowerCase().includes(t.toLowerCase()));
    assert.deepEqual(g.json.glossary_misses.map((m) => m.source).sort(), missed.map(([src]) => src).sort(), g.text);
    for (const m of g.json.glossary_misses) assert.equal(m.target, terms[m.source]);

    // Wrong input is a 400 naming the field.
    for (const [body, param, re] of [
      [{ text: 'x', source_lang: 'en', target_lang: 'fr', glossary_id: 'acme.en-de' }, 'glossary_id', /is for en -> de/],
      [{ text: 'x', source_lang: 'en', target_lang: 'de', glossary_id: 'nope' }, 'glossary_id', /no glossary 'nope'/],
      [{ text: 'x', target_lang: 'xx' }, 'target_lang', /xx/],
      [{ text: 'x', target_lang: 'de', source_lang: 'qq' }, 'source_lang', /qq/],
      [{ text: 'x', target_lang: 'de', format: 'pdf' }, 'format', /text, html or xml/],
      [{ text: 'x', target_lang: 'de', formality: 'very' }, 'formality', /formality/],
    ]) {
      const r = await v1(body);
      assert.equal(r.status, 400, r.text);
      assert.equal(r.json.error.param, param, r.text);
      assert.match(r.json.error.message, re);
    }

    // Streaming: plain text pieces in order (their concatenation is the translation, lines
    // kept), then usage with the details, then [DONE]; HTML as one event.
    const doc = 'First line of the text.\nSecond line, a bit longer than the first.\n\nFourth.';
    const full = await v1({ text: doc, target_lang: 'fr', temperature: 0 });
    const st = await fetch(s.url + '/v1/translate', { method: 'POST', headers: { 'Content-Type': 'application/json', ...auth }, body: JSON.stringify({ text: doc, target_lang: 'fr', stream: true }) });
    assert.equal(st.status, 200);
    const events = sseData(await st.text());
    assert.equal(events.at(-1), '[DONE]');
    const last = JSON.parse(events.at(-2));
    assert.ok(last.usage, events.join('|'));
    assert.equal(last.detected_source_lang, 'en');
    const pieces = events.slice(0, -2).map((e) => JSON.parse(e));
    assert.deepEqual(pieces.map((p) => p.index), pieces.map((_, i) => i));
    assert.equal(pieces.map((p) => p.translation).join(''), full.json.translation);
    assert.equal(full.json.translation.split('\n').length, 4);
    const hs = await fetch(s.url + '/v1/translate', { method: 'POST', headers: { 'Content-Type': 'application/json', ...auth }, body: JSON.stringify({ text: html, source_lang: 'en', target_lang: 'de', format: 'html', stream: true }) });
    const hev = sseData(await hs.text());
    assert.equal(hev.length, 3, hev.join('|'));
    assert.equal(JSON.parse(hev[0]).translation, h.json.translation, 'cached: the same document');
  } finally {
    await stop(s);
  }
});

test('translate requests are measured like the others: queue, TTFT, TPOT in the log and the histograms', async () => {
  const s = await startServer();
  try {
    const histogramCount = (m, name) => Number(m.match(new RegExp(`^${name}_count (\\d+)$`, 'm'))?.[1] ?? -1);
    const counts = async () => {
      const m = (await once(s, 'GET', '/metrics')).text;
      return ['inference_queue_time_seconds', 'inference_time_to_first_token_seconds', 'inference_time_per_output_token_seconds']
        .map((n) => histogramCount(m, n));
    };
    assert.deepEqual(await counts(), [0, 0, 0]);
    const lines = (n) => Array.from({ length: 3 }, (_, i) => `Line ${i} of request ${n}, with a few words to translate.`).join('\n');
    const v1 = { Authorization: 'Bearer key-one' };
    const answers = [
      await once(s, 'POST', '/v1/translate', { text: lines(1), source_lang: 'en', target_lang: 'de' }, v1),
      await once(s, 'POST', '/v1/translate', { text: lines(2), source_lang: 'en', target_lang: 'de', stream: true }, v1),
      await once(s, 'POST', '/v2/translate', { text: [lines(3)], source_lang: 'EN', target_lang: 'DE' }, deeplAuth),
      await once(s, 'POST', '/translate', { q: lines(4), source: 'en', target: 'de', api_key: 'key-one' }),
    ];
    for (const a of answers) assert.equal(a.status, 200, a.text);
    assert.deepEqual(await counts(), [4, 4, 4], 'one observation per translate request, streaming or not');
    // The engine's steps behind them: every prompt took at least one prefill step, every token
    // after a prompt's first one a decode step.
    const m = (await once(s, 'GET', '/metrics')).text;
    const steps = (kind) => Number(m.match(new RegExp(`^inference_step_seconds_count\\{kind="${kind}"\\} (\\d+)$`, 'm'))?.[1] ?? -1);
    assert.ok(steps('prefill') >= 4 && steps('decode') > 0, m.split('\n').filter((l) => l.startsWith('inference_step_seconds_count')).join(' | '));
    // Answered from the translation cache: nothing ran in the engine, nothing is observed.
    assert.equal((await once(s, 'POST', '/v1/translate', { text: lines(1), source_lang: 'en', target_lang: 'de' }, v1)).json.cached_segments, 3);
    assert.deepEqual(await counts(), [4, 4, 4]);
    const logged = s.log().split('\n').filter((l) => l.includes('"event":"request"') && /"route":"\/(v1\/translate|v2\/translate|translate)"/.test(l))
      .map((l) => JSON.parse(l.slice(l.indexOf('{'))));
    assert.equal(logged.length, 5, logged.map((l) => JSON.stringify(l)).join('\n'));
    for (const l of logged.slice(0, 4)) {
      assert.ok(l.queue_s >= 0 && l.ttft_s > 0 && l.tpot_s > 0, JSON.stringify(l));
      assert.ok(l.ttft_s <= l.latency_s, JSON.stringify(l));
    }
    assert.equal(logged[4].ttft_s, -1, 'a cached answer has no first token');
  } finally {
    await stop(s);
  }
});

test('deepl-node: preserveFormatting keeps the edges of each sentence', async () => {
  const s = await startServer();
  try {
    const client = new deepl.Translator('key-one', { serverUrl: s.url, maxRetries: 0 });
    const finalMark = /[.!?…。！？]$/u;
    // Random weights: whatever the model writes, the source's edges come back.
    const bare = ['lowercase start and no final stop', 'another one without a stop', 'a third, in lower case'];
    for (const r of await client.translateText(bare, 'en', 'de', { preserveFormatting: true })) {
      const t = r.text.trim();
      assert.ok(!finalMark.test(t), `final mark kept: ${JSON.stringify(r.text)}`);
      assert.ok(!/^\p{Lu}/u.test(t), `capital start kept: ${JSON.stringify(r.text)}`);
    }
    const stops = ['A sentence with a stop.', 'Is this a question?', 'Ein deutscher Satz.'];
    for (const r of await client.translateText(stops, null, 'fr', { preserveFormatting: true })) {
      const t = r.text.trim();
      if (/\p{L}/u.test(t)) assert.ok(finalMark.test(t.replace(/[\p{Pe}\p{Pf}"']+$/u, '')), `no final mark: ${JSON.stringify(r.text)}`);
    }
    await assert.rejects(
      fetch(s.url + '/v2/translate', { method: 'POST', headers: { Authorization: 'DeepL-Auth-Key key-one', 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'text=x&target_lang=DE&preserve_formatting=yes' })
        .then(async (r) => { throw new Error(`${r.status} ${await r.text()}`); }),
      /400 \{"message":"Value for 'preserve_formatting' not supported \(expected 0 or 1, got 'yes'\)\."\}/);
  } finally {
    await stop(s);
  }
});

test('deepl-node: splitSentences on, off and nonewlines keep N lines in, N lines out', async () => {
  const s = await startServer();
  try {
    const client = new deepl.Translator('key-one', { serverUrl: s.url, maxRetries: 0 });
    const text = 'First line of the text. It has two sentences.\nA sentence that spans\na line break. Another one.\n\nLast line';
    for (const splitSentences of ['on', 'off', 'nonewlines', undefined]) {
      const r = await client.translateText(text, 'en', 'de', splitSentences ? { splitSentences } : {});
      assert.equal(r.text.split('\n').length, 5, `${splitSentences}: ${JSON.stringify(r.text)}`);
      assert.equal(r.text.split('\n')[3], '', `${splitSentences}: the blank line is kept`);
    }
    // 'on' (DeepL's default for text) made every sentence a segment: /v1/translate (same model,
    // languages, cache) finds each of them in the translation cache.
    const sentences = ['First line of the text.', 'It has two sentences.', 'Last line'];
    const v1 = await json(s, 'POST', '/v1/translate', { segments: sentences, source_lang: 'en', target_lang: 'de' }, { Authorization: 'Bearer key-one' });
    assert.equal(v1.status, 200, v1.text);
    assert.equal(v1.json.cached_segments, 3, v1.text);
    const bad = await json(s, 'POST', '/v2/translate', { text: ['x'], target_lang: 'DE', split_sentences: 'sometimes' }, { Authorization: 'DeepL-Auth-Key key-one' });
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.json, { message: "Value for 'split_sentences' not supported (expected 0, 1 or nonewlines, got 'sometimes')." });
  } finally {
    await stop(s);
  }
});

test('every translation API bills the per-key character ledger behind /v2/usage', async () => {
  const s = await startServer();
  try {
    const usage = async (key) => (await new deepl.Translator(key, { serverUrl: s.url, maxRetries: 0 }).getUsage()).character.count;
    const codePoints = (t) => [...t].length;
    const texts = ['Zwölf Boxkämpfer jagen Viktor quer über den großen Sylter Deich.', 'Line one.\nLine two, 二行目.', 'A batch text.', 'Streamed text, two sentences. Here.', 'LibreTranslate text.', 'Другой текст.'];
    const bearer = { Authorization: 'Bearer key-two' };
    const answers = [
      await json(s, 'POST', '/v1/translate', { text: texts[0], source_lang: 'de', target_lang: 'en' }, bearer),
      await json(s, 'POST', '/v1/translate', { segments: [texts[1], texts[2]], target_lang: 'fr' }, bearer),
      await json(s, 'POST', '/v1/translate', { text: texts[3], target_lang: 'de', stream: true }, bearer),
      await json(s, 'POST', '/translate', { q: [texts[4], texts[5]], source: 'auto', target: 'de', api_key: 'key-two' }),
    ];
    for (const a of answers) assert.equal(a.status, 200, a.text);
    const viaDeepl = await new deepl.Translator('key-two', { serverUrl: s.url, maxRetries: 0 }).translateText('And DeepL.', 'en', 'de');
    const expected = texts.reduce((n, t) => n + codePoints(t), 0) + viaDeepl.billedCharacters;
    assert.equal(await usage('key-two'), expected, 'v1 (json, batch, stream), LibreTranslate and DeepL on one account');
    assert.equal(await usage('key-one'), 0, 'another key is another account');
    const refused = await json(s, 'POST', '/v1/translate', { text: 'x', target_lang: 'qq' }, bearer);
    assert.equal(refused.status, 400);
    assert.equal(await usage('key-two'), expected, 'a refused request bills nothing');
  } finally {
    await stop(s);
  }
});

// DSINFER_TEST_FILTER=regex runs only the tests whose name matches (local runs).
const filter = process.env.DSINFER_TEST_FILTER ? new RegExp(process.env.DSINFER_TEST_FILTER) : null;
let failed = 0;
for (const t of tests.filter((x) => !filter || filter.test(x.name))) {
  const start = Date.now();
  try {
    await t.fn();
    console.log(`ok   ${t.name} (${Date.now() - start} ms)`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${t.name}: ${e.stack || e}`);
  }
}
fs.rmSync(tmp, { recursive: true, force: true });
process.exit(failed ? 1 : 0);
