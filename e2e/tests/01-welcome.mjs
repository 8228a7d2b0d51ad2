// The default site (localhost): the welcome page and its custom 404 page.
import assert from 'node:assert/strict';
import { ACCENT, SITE_BG, brokenImages, computed, waitText } from '../lib/browser.mjs';
import { browserTest } from '../lib/harness.mjs';

browserTest('welcome page renders with its CSS, images and script', async ({ page, demo }) => {
  const res = await page.goto(demo.url('localhost'));
  assert.equal(res.status(), 200);
  assert.equal(await page.title(), 'portico');

  // css/style.css applied: the palette, the header bar, the hero's grid.
  assert.deepEqual(await computed(page, 'body', ['background-color', 'margin-top']),
    { 'background-color': SITE_BG, 'margin-top': '0px' });
  assert.deepEqual(await computed(page, '.site-header', ['background-color', 'border-bottom-style']),
    { 'background-color': 'rgb(255, 255, 255)', 'border-bottom-style': 'solid' });
  assert.deepEqual(await computed(page, '.hero', ['display']), { display: 'grid' });
  assert.deepEqual(await computed(page, '.hero h1', ['font-size']), { 'font-size': '40px' });
  assert.deepEqual(await computed(page, '.features', ['display', 'list-style-type']),
    { display: 'grid', 'list-style-type': 'none' });
  assert.deepEqual(await computed(page, '#next a[href="/hello.txt"]', ['color']), { color: ACCENT });
  assert.deepEqual(await computed(page, 'pre', ['background-color']), { 'background-color': 'rgb(30, 34, 41)' });

  // The logo (SVG) and the picture (PNG) loaded and decoded.
  assert.deepEqual(await brokenImages(page), []);
  const sizes = await page.$$eval('img', (imgs) => imgs.map((i) => [new URL(i.src).pathname, i.naturalWidth]));
  assert.deepEqual(sizes.map(([p]) => p).sort(), ['/img/logo.svg', '/img/portico.png']);
  assert.ok(sizes.every(([, w]) => w > 0), JSON.stringify(sizes));

  // js/main.js ran: the load time is set, and the Server header it asked
  // for with a HEAD request is portico's.
  const loaded = await page.$eval('#loaded-at', (t) => [t.getAttribute('datetime'), t.textContent]);
  assert.match(loaded[0] || '', /^\d{4}-\d\d-\d\dT/, 'main.js sets <time datetime>');
  assert.notEqual(loaded[1], '\u2014');
  await waitText(page, '#server-header', /^portico\/\d+\.\d+/);
});

browserTest('welcome page: the navigation reaches its sections and the upload page', async ({ page, demo }) => {
  await page.goto(demo.url('localhost'));
  await page.click('header nav a[href="#features"]');
  await page.waitForURL(/#features$/);
  assert.ok(await page.$eval('#features', (s) => s.getBoundingClientRect().top < 50), 'scrolled to Features');
  await page.click('header nav a[href="/upload.html"]');
  await page.waitForURL(/\/upload\.html$/);
  assert.equal(await page.textContent('h1'), 'Upload files');
  await page.click('a.brand');
  await page.waitForURL(demo.url('localhost'));
  assert.equal(await page.textContent('h1'), 'It works.');
});

browserTest('default site: custom 404 page, styled, with a way back', async ({ page, demo }) => {
  await page.goto(demo.url('localhost'));
  await page.click('a[href="/no-such-page"]');
  await page.waitForURL(/\/no-such-page$/);
  const res = await page.reload();
  assert.equal(res.status(), 404);
  assert.match(await page.title(), /^404 Not Found/);
  assert.equal(await page.textContent('.error-code'), '404');
  assert.deepEqual(await computed(page, '.error-code', ['font-size', 'font-weight']),
    { 'font-size': '72px', 'font-weight': '800' });
  assert.deepEqual(await computed(page, 'body', ['background-color']), { 'background-color': SITE_BG });
  assert.deepEqual(await brokenImages(page), []);
  await page.click('text=Back to the welcome page');
  await page.waitForURL(demo.url('localhost'));
  assert.equal(await page.textContent('h1'), 'It works.');
});

// Found by these tests: `.error-page p { color: var(--muted) }` once
// outweighed `.error-code`, so the default site's "404" was grey where the
// blog's and the api's are the accent colour.
browserTest('default site: the 404 page\'s code in the accent colour, as on the blog and the api', async ({ page, demo }) => {
  await page.goto(demo.url('localhost', '/no-such-page'));
  assert.deepEqual(await computed(page, '.error-code', ['color']), { color: ACCENT });
});

browserTest('welcome page: no feature is announced as coming that exists', async ({ page, demo }) => {
  await page.goto(demo.url('localhost'));
  const text = (await page.textContent('#features')).replace(/\s+/g, ' ');
  const stale = text.match(/[^.;]*\bcome next\b/g) || [];
  assert.deepEqual(stale.filter((s) => /SIGHUP|reload/.test(s)).map((s) => s.trim()), []);
});
