// HTTPS: chromium checks the demo's certificate as it checks any site's
// (no ignoreHTTPSErrors: it trusts the copy's own CA, build/tls/ca.pem, as
// a person who imported it does; lib/browser.mjs), and the plain port sends
// every site there with a 308.
import assert from 'node:assert/strict';
import { SITE_BG, computed } from '../lib/browser.mjs';
import { browserTest } from '../lib/harness.mjs';
import { SITES } from '../lib/server.mjs';

browserTest('https: each site\'s certificate is the demo\'s, issued by the copy\'s CA, over TLS 1.3',
  async ({ page, demo, watch }) => {
    for (const site of SITES) {
      const res = await page.goto(demo.url(site));
      await watch.settle();   // the api page's fetches, before the next site
      assert.equal(res.status(), 200, site);
      assert.ok(await page.evaluate(() => window.isSecureContext), `${site}: a secure context`);
      const sec = await res.securityDetails();
      assert.ok(sec, `${site}: security details`);
      assert.equal(sec.protocol, 'TLS 1.3', site);
      assert.equal(sec.subjectName, 'localhost', site);
      assert.match(sec.issuer, /^portico demo CA /, site);
      assert.ok(sec.validTo * 1000 > Date.now() + 30 * 86400_000, `${site}: valid for 30 days more`);
    }
  });

browserTest('https: a name the certificate does not hold is refused (127.0.0.2)', async ({ page, demo, watch }) => {
  // The same server (it listens on every address), a name outside the
  // certificate: chromium must say so, so the checks above are real.
  const err = await page.goto(`https://127.0.0.2:${demo.port}/`).then(() => null, (e) => e);
  assert.ok(err, 'the page must not load');
  assert.match(err.message, /ERR_CERT_COMMON_NAME_INVALID/);
  watch.clear();
});

browserTest('http: each site on the plain port is a 308 to the same URL on HTTPS, which renders',
  async ({ page, demo, watch }) => {
    const paths = { 'localhost': '/upload.html?from=plain', 'blog.localhost': '/about.html?from=plain',
      'api.localhost': '/?from=plain', 'app.localhost': '/?from=plain' };
    for (const site of SITES) {
      const res = await page.goto(demo.httpUrl(site, paths[site]));
      await watch.settle();
      assert.equal(page.url(), demo.url(site, paths[site]), site);
      assert.equal(res.status(), 200, site);
      const first = res.request().redirectedFrom();
      assert.ok(first, `${site}: redirected`);
      assert.equal(first.url(), demo.httpUrl(site, paths[site]));
      assert.equal((await first.response()).status(), 308, site);
      assert.deepEqual(await computed(page, 'body', ['background-color']), { 'background-color': SITE_BG }, site);
    }
  });

browserTest('welcome page: says it came over HTTPS', async ({ page, demo }) => {
  await page.goto(demo.url('localhost'));
  assert.equal(await page.textContent('#scheme-note'), 'You are reading this page over HTTPS.');
});
