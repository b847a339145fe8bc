// dsinfer's DeepL- and LibreTranslate-compatible endpoints with real clients: the official
// `deepl-node` package (pointed at the server with serverUrl) and LibreTranslate's JSON API over
// plain HTTP (fetch). The model has random weights: structure is checked, not meaning.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
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

let failed = 0;
for (const t of tests) {
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
