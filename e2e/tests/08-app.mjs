// The app (app.localhost): portico's reverse proxy in front of the two
// sites/app/app.py that lib/server.mjs starts (app-1 and app-2, on the free
// ports demo.appPorts); the page comes from an instance, its static/ files
// from the disk. The health test goes last: its instance stays sick for
// 20 s, and would spoil the others' round robin.
import assert from 'node:assert/strict';
import http from 'node:http';
import { ACCENT, SITE_BG, brokenImages, computed, follow, waitText } from '../lib/browser.mjs';
import { browserTest } from '../lib/harness.mjs';

const INSTANCE = /^app-[12]$/;

// GET straight to an instance, past portico: its status.
function direct(port, urlPath) {
  return new Promise((resolve) => {
    http.get({ host: '127.0.0.1', port, path: urlPath, timeout: 2000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    }).on('error', () => resolve(0));
  });
}

browserTest('app: the page renders with the site\'s look and names the instance that answered',
  async ({ page, demo }) => {
    const res = await page.goto(demo.url('app.localhost'));
    assert.equal(res.status(), 200);
    const who = res.headers()['x-app-instance'];
    assert.match(who || '', INSTANCE, 'the page comes from an instance (X-App-Instance)');
    assert.equal(await page.title(), `${who} \u00b7 portico app demo`);
    assert.equal(await page.textContent('#instance'), who);
    assert.equal(await page.getAttribute('#instance', 'data-instance'), who);

    // static/style.css applied: the demo's palette, the header, the cards.
    assert.deepEqual(await computed(page, 'body', ['background-color', 'margin-top']),
      { 'background-color': SITE_BG, 'margin-top': '0px' });
    assert.deepEqual(await computed(page, '.site-header', ['background-color', 'border-bottom-style']),
      { 'background-color': 'rgb(255, 255, 255)', 'border-bottom-style': 'solid' });
    assert.deepEqual(await computed(page, '.cards', ['display']), { display: 'grid' });
    assert.deepEqual(await computed(page, '#instance', ['color']), { color: ACCENT });
    assert.deepEqual(await brokenImages(page), []);

    // What portico told the app, as the page shows it.
    const rows = Object.fromEntries(await page.$$eval('#headers tr',
      (trs) => trs.map((tr) => [tr.querySelector('th').textContent, tr.querySelector('td').textContent])));
    assert.deepEqual(rows, {
      Host: `app.localhost:${demo.port}`,
      'X-Forwarded-For': '127.0.0.1',
      'X-Forwarded-Proto': 'https',
      'X-Forwarded-Host': `app.localhost:${demo.port}`,
    });
    // Its links to the welcome site keep the scheme and the port.
    assert.equal(await page.getAttribute('header nav a[href$="/status"]', 'href'),
      demo.url('localhost', '/status'));
  });

browserTest('app: "Ask 20 times" lists both instances, about half each', async ({ page, demo }) => {
  await page.goto(demo.url('app.localhost'));
  await page.click('#spread-go');
  await waitText(page, '#spread-status', '20 answers');
  assert.equal(await page.getAttribute('#spread-status', 'class'), 'badge ok');
  const counts = await page.$$eval('#spread li', (lis) => lis.map((li) => [
    li.getAttribute('data-instance'), Number(li.textContent.split(': ')[1])]));
  assert.deepEqual(counts.map(([name]) => name), ['app-1', 'app-2']);
  assert.equal(counts[0][1] + counts[1][1], 20);
  // Round robin in each worker: about half each (not all to one, not at random).
  for (const [name, n] of counts) assert.ok(n >= 5, `${name} answered ${n} of 20`);
});

browserTest('app: the WebSocket card echoes a message through portico (wss:)', async ({ page, demo }) => {
  await page.goto(demo.url('app.localhost'));
  assert.equal(await page.textContent('#ws-status'), 'not connected');
  const opened = page.waitForEvent('websocket');
  const message = 'Gr\u00fc\u00dfe through the tunnel <b>&</b>';
  await page.fill('#ws-input', message);
  await page.click('#ws-form button[type="submit"]');
  const ws = await opened;
  assert.equal(ws.url(), `wss://app.localhost:${demo.port}/ws`);   // the page is on https
  await waitText(page, '#ws-status', 'connected');
  await page.waitForFunction((m) => [...document.querySelectorAll('#ws-log li.in')]
    .some((li) => li.textContent === '\u2190 ' + m), message);
  // Newest first: the echo, the instance's greeting, what was sent.
  const log = await page.$$eval('#ws-log li', (lis) => lis.map((li) => [li.className, li.textContent]));
  assert.equal(log.length, 3, JSON.stringify(log));
  assert.deepEqual(log[0], ['in', `\u2190 ${message}`]);
  assert.match(log[1][1], /^\u2190 connected to app-[12]$/);
  assert.deepEqual(log.slice(1).map(([cls]) => cls).sort(), ['in', 'out']);
  assert.ok(log.some(([cls, text]) => cls === 'out' && text === `\u2192 ${message}`));
  assert.equal(await page.$('#ws-log b'), null, 'the echo shown as text, not markup');
  assert.equal(await page.getAttribute('#ws-status', 'class'), 'badge ok');
});

browserTest('welcome page: "See the app behind it" leads to the app on this scheme and port', async ({ page, demo }) => {
  await page.goto(demo.url('localhost'));
  // js/main.js gives the link this page's scheme and port (http and 8080 in the file).
  assert.equal(await page.getAttribute('a.vhost-link', 'href'), demo.url('app.localhost'));
  const res = await follow(page, 'a.vhost-link');
  assert.equal(res.status(), 200);
  assert.equal(page.url(), demo.url('app.localhost'));
  assert.match(await page.textContent('#instance'), INSTANCE);
  assert.deepEqual(await computed(page, 'body', ['background-color']), { 'background-color': SITE_BG });
});

// Found by these tests: the app's 303 has Content-Length: 0, and the proxy
// once waited for a body after it, holding the connection Chromium
// follows the redirect on.
browserTest('app: without JavaScript, "Make one sick" posts the form, comes back to / (303), and portico stops sending that instance requests',
  async ({ page, demo }) => {
    await page.goto(demo.url('app.localhost'));
    assert.equal(await page.getAttribute('#sick-go', 'type'), 'submit');
    const res = await follow(page, '#sick-go');
    const post = res.request().redirectedFrom();
    assert.ok(post, 'the form\'s POST was redirected');
    assert.equal(post.method(), 'POST');
    assert.equal(post.url(), demo.url('app.localhost', '/api/sick'));
    const answer = await post.response();
    assert.equal(answer.status(), 303);
    assert.equal(answer.headers().location, '/');
    const sick = answer.headers()['x-app-instance'];
    assert.match(sick || '', INSTANCE);
    assert.equal(res.status(), 200);
    assert.equal(page.url(), demo.url('app.localhost'));
    assert.match(await page.textContent('#instance'), INSTANCE);

    // The instance the form reached fails its health check now...
    const sickPort = demo.appPorts[Number(sick.slice(-1)) - 1];
    assert.equal(await direct(sickPort, '/healthz'), 503, `${sick}'s /healthz`);
    // ... and within two checks (2 s apart) only the other one answers:
    // five reloads in a row from it.
    const well = sick === 'app-1' ? 'app-2' : 'app-1';
    const end = Date.now() + 8000;
    let row = 0;
    const seen = [];
    while (row < 5 && Date.now() < end) {
      const r = await page.reload();
      const who = r.headers()['x-app-instance'];
      seen.push(who);
      row = who === well ? row + 1 : 0;
      if (row === 0) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    assert.equal(row, 5, `five answers in a row from ${well} within 8 s; got ${seen.join(' ')}`);
  }, { context: { javaScriptEnabled: false } });
