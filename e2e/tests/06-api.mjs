// The api site (api.localhost): its page fills three cards by calling the
// Python CGI scripts with fetch; a note added there lands in the copy's
// sites/api/data/notes.json.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ACCENT, SITE_BG, brokenImages, computed, follow, waitText } from '../lib/browser.mjs';
import { browserTest } from '../lib/harness.mjs';

const ARROW = '\u2192';

browserTest('api: the page renders and fetch fills the time, echo and notes cards', async ({ page, demo }) => {
  const res = await page.goto(demo.url('api.localhost'));
  assert.equal(res.status(), 200);
  assert.deepEqual(await computed(page, 'body', ['background-color']), { 'background-color': SITE_BG });
  assert.deepEqual(await computed(page, '.card', ['background-color', 'border-top-style']),
    { 'background-color': 'rgb(255, 255, 255)', 'border-top-style': 'solid' });
  assert.deepEqual(await brokenImages(page), []);

  // app.js marks the body once the three first calls have answered.
  await page.waitForSelector('body[data-ready="yes"]');
  assert.equal(await page.textContent('#ready-note'), 'all endpoints answered');

  const now = await page.textContent('#time-now');
  assert.ok(Math.abs(Date.parse(now) - Date.now()) < 120_000, `time.py's "now" is the time: ${now}`);
  assert.match(await page.textContent('#time-local'), /^Local time on the server: .* \u00b7 portico\/\d/);
  assert.match(await page.textContent('#time-status'), new RegExp(`^GET /cgi-bin/time\\.py ${ARROW} 200 in \\d+ ms$`));
  assert.equal(await page.getAttribute('#time-status', 'class'), 'badge ok');
  assert.deepEqual(await computed(page, '#time-status', ['color']), { color: 'rgb(47, 125, 50)' });

  const echoed = JSON.parse(await page.textContent('#echo-result'));
  assert.equal(echoed.method, 'GET');
  assert.deepEqual(echoed.query, { message: 'Hello, portico!', from: 'app.js' });
  assert.match(echoed.user_agent, /Chrome\//);
  assert.match(await page.textContent('#echo-status'), new RegExp(`^GET /cgi-bin/echo\\.py ${ARROW} 200 in`));

  assert.equal(await page.textContent('#notes-list'), 'No notes yet. Add the first one above.');
  assert.match(await page.textContent('#notes-status'), new RegExp(`^GET /cgi-bin/notes\\.py ${ARROW} 200 in`));

  // "Ask again" calls time.py once more.
  await page.click('#time-refresh');
  await page.waitForFunction((before) => document.getElementById('time-now').textContent !== before, now);
});

browserTest('api: echo sends the typed message as a query string (GET) and as a JSON body (POST)',
  async ({ page, demo }) => {
    await page.goto(demo.url('api.localhost'));
    await page.waitForSelector('body[data-ready="yes"]');
    const message = 'Gr\u00fc\u00dfe & <tags> "quoted" 100%';
    await page.fill('#echo-input', message);

    await page.click('#echo-form button[data-method="GET"]');
    await page.waitForFunction((m) => {
      try { return JSON.parse(document.getElementById('echo-result').textContent).query.message === m; } catch { return false; }
    }, message);

    await page.click('#echo-form button[data-method="POST"]');
    await page.waitForFunction(() => {
      try { return JSON.parse(document.getElementById('echo-result').textContent).method === 'POST'; } catch { return false; }
    });
    const posted = JSON.parse(await page.textContent('#echo-result'));
    assert.equal(posted.content_type, 'application/json');
    assert.equal(posted.json.message, message);
    assert.ok(posted.body_bytes > message.length);
    assert.match(await page.textContent('#echo-status'), new RegExp(`^POST /cgi-bin/echo\\.py ${ARROW} 200 in`));
  });

browserTest('api: a note added on the page is listed, stored, and still there after a reload',
  async ({ page, demo }) => {
    await page.goto(demo.url('api.localhost'));
    await page.waitForSelector('body[data-ready="yes"]');

    // An empty note: the browser's `required` stops it, nothing is sent.
    let posted = 0;
    page.on('request', (r) => { if (r.method() === 'POST') posted += 1; });
    await page.click('#notes-form button[type="submit"]');
    assert.equal(await page.$eval('#notes-input', (i) => i.validity.valueMissing), true);

    const first = 'Buy milk \u2013 and <b>bread</b>';
    const second = 'A second note';
    for (const text of [first, second]) {
      await page.fill('#notes-input', text);
      await page.click('#notes-form button[type="submit"]');
      await waitText(page, '#notes-status', new RegExp(`^POST /cgi-bin/notes\\.py ${ARROW} 201 in`));
      await page.waitForFunction((t) => document.querySelector('#notes-list li span')?.textContent === t, text);
      assert.equal(await page.inputValue('#notes-input'), '');
    }
    assert.equal(posted, 2);
    // Newest first, as text.
    const shown = () => page.$$eval('#notes-list li span', (ss) => ss.map((s) => s.textContent));
    assert.deepEqual(await shown(), [second, first]);
    assert.equal(await page.$('#notes-list b'), null);
    assert.match(await page.textContent('#notes-list li time'), /^#2 \u00b7 /);

    const stored = JSON.parse(fs.readFileSync(path.join(demo.sites, 'api', 'data', 'notes.json'), 'utf8'));
    assert.deepEqual(stored.map((n) => [n.id, n.text]), [[1, first], [2, second]]);

    await page.reload();
    await page.waitForSelector('body[data-ready="yes"]');
    assert.deepEqual(await shown(), [second, first]);
  });

browserTest('api: the nav\'s endpoints answer JSON in the browser (time, echo, notes, status)',
  async ({ page, demo }) => {
    await page.goto(demo.url('api.localhost'));
    const hrefs = await page.$$eval('header nav a', (as) => as.map((a) => a.getAttribute('href')));
    await page.waitForSelector('body[data-ready="yes"]');   // leaving earlier aborts the cards' calls
    assert.deepEqual(hrefs, ['/cgi-bin/time.py', '/cgi-bin/echo.py?hello=world', '/cgi-bin/notes.py', '/status']);
    for (const href of hrefs) {
      await page.goto(demo.url('api.localhost'));
      await page.waitForSelector('body[data-ready="yes"]');   // leaving earlier aborts the cards' calls
      const res = await follow(page, `header nav a[href="${href}"]`);
      assert.equal(res.status(), 200, href);
      assert.match(res.headers()['content-type'], /^application\/json/, href);
      const body = await res.json();
      if (href.startsWith('/cgi-bin/echo.py')) assert.deepEqual(body.query, { hello: 'world' });
      if (href === '/cgi-bin/notes.py') assert.equal(body.count, body.notes.length);
      if (href === '/status') assert.ok(typeof body === 'object' && body !== null);
    }
  });

browserTest('api: an unknown address gets the api\'s own 404 page, styled, with a link back', async ({ page, demo }) => {
  const res = await page.goto(demo.url('api.localhost', '/cgi-bin/nope.py'));
  assert.equal(res.status(), 404);
  assert.equal(await page.getAttribute('main', 'data-page'), 'api-404');
  assert.equal(await page.textContent('h1'), 'No such endpoint');
  assert.deepEqual(await computed(page, 'body', ['background-color']), { 'background-color': SITE_BG });
  assert.deepEqual(await computed(page, '.error-code', ['color']), { color: ACCENT });
  assert.deepEqual(await brokenImages(page), []);
  await page.click('text=Back to the api demo');
  await page.waitForURL(demo.url('api.localhost'));
  await page.waitForSelector('body[data-ready="yes"]');
});

browserTest('api: the 404 page keeps each endpoint\'s name on one line, wide and narrow', async ({ page, demo }) => {
  for (const width of [1280, 1024, 800, 375]) {
    await page.setViewportSize({ width, height: 800 });
    await page.goto(demo.url('api.localhost', '/nope'));
    const broken = await page.$$eval('main code', (cs) => cs
      .filter((c) => c.getClientRects().length > 1).map((c) => c.textContent));
    assert.deepEqual(broken, [], `code split across lines at ${width} px`);
  }
});
