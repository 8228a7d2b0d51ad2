// The default site's CGI demos (sites/default/cgi-bin/): the form
// round-trip of form.py, and the other scripts the welcome page links.
import assert from 'node:assert/strict';
import { SITE_BG, computed, follow } from '../lib/browser.mjs';
import { browserTest } from '../lib/harness.mjs';

browserTest('CGI form round-trip: form.py shows a form, the browser posts it, the fields come back',
  async ({ page, demo }) => {
    await page.goto(demo.url('localhost'));
    await page.click('#next a[href="/cgi-bin/form.py"]');
    await page.waitForURL(/\/cgi-bin\/form\.py$/);
    assert.equal(await page.textContent('h1'), 'Say something');
    assert.equal(await page.getAttribute('form', 'action'), '/cgi-bin/form.py');

    // Markup, an ampersand, non-ASCII and a line break: each must come back
    // as text, exactly.
    const name = 'Ada <b>Lovelace</b> & co';
    const message = 'first line\nsecond line: h\u00e9llo \u2713 100% a+b=c';
    await page.fill('input[name="name"]', name);
    await page.fill('textarea[name="message"]', message);
    const res = await follow(page, 'button[type="submit"]');
    assert.equal(res.status(), 200);
    assert.equal(res.request().method(), 'POST');
    assert.equal(res.request().headers()['content-type'], 'application/x-www-form-urlencoded');
    assert.equal(await page.textContent('h1'), 'You sent 2 field(s)');
    const fields = await page.$$eval('dl dt', (dts) => dts.map((dt) => [dt.textContent, dt.nextElementSibling.textContent]));
    assert.deepEqual(fields, [['name', name], ['message', message]]);
    assert.equal(await page.$('dd b'), null, 'the name came back as text, not markup');

    await page.click('text=Back');
    await page.waitForURL(demo.url('localhost'));
  });

browserTest('CGI demos: hello.py, env.py (PATH_INFO, QUERY_STRING as JSON), info.php, hello.sh',
  async ({ page, demo }) => {
    let res = await page.goto(demo.url('localhost', '/cgi-bin/hello.py'));
    assert.equal(res.status(), 200);
    assert.equal(await page.textContent('h1'), 'Hello from Python!');
    assert.match(await page.textContent('body'), /The time on the server is \d{4}-\d\d-\d\d /);

    res = await page.goto(demo.url('localhost', '/cgi-bin/env.py/extra/path?q=1'));
    assert.equal(res.status(), 200);
    assert.match(res.headers()['content-type'], /^application\/json/);
    const cgiEnv = await res.json();
    assert.equal(cgiEnv.PATH_INFO, '/extra/path');
    assert.equal(cgiEnv.QUERY_STRING, 'q=1');
    assert.equal(cgiEnv.SCRIPT_NAME, '/cgi-bin/env.py');
    assert.equal(cgiEnv.HTTP_HOST, `localhost:${demo.port}`);
    assert.match(cgiEnv.HTTP_USER_AGENT, /Chrome\//);

    res = await page.goto(demo.url('localhost', '/cgi-bin/info.php'));
    assert.equal(res.status(), 200);
    assert.match(await page.textContent('h1'), /^Hello from PHP \d+\.\d+/);

    res = await page.goto(demo.url('localhost', '/cgi-bin/hello.sh'));
    assert.equal(res.status(), 200);
    assert.match(await page.textContent('body'), /^Hello from \/bin\/sh!\n/);
  });

browserTest('CGI demos: hello.py, form.py (both pages) and info.php have the site\'s look', async ({ page, demo }) => {
  const looks = [];
  for (const p of ['/cgi-bin/hello.py', '/cgi-bin/form.py', '/cgi-bin/info.php']) {
    await page.goto(demo.url('localhost', p));
    looks.push([p, (await computed(page, 'body', ['background-color']))['background-color']]);
  }
  await page.goto(demo.url('localhost', '/cgi-bin/form.py'));
  await page.fill('input[name="name"]', 'Ada');
  await follow(page, 'button[type="submit"]');
  looks.push(['form.py answer', (await computed(page, 'body', ['background-color']))['background-color']]);
  assert.deepEqual(looks.filter(([, bg]) => bg !== SITE_BG), []);
});
