// Directory listings (autoindex) of the default site: /files/ in HTML, its
// JSON form (?format=json), and the redirect of /files to /files/.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { SITE_BG, computed, follow } from '../lib/browser.mjs';
import { browserTest } from '../lib/harness.mjs';

browserTest('directory listing: /files/ lists its files, each opens, ../ leads back', async ({ page, demo }) => {
  await page.goto(demo.url('localhost'));
  await page.click('#next a[href="/files/"]');
  await page.waitForURL(/\/files\/$/);
  assert.equal(await page.textContent('h1'), 'Index of /files/');
  const rows = await page.$$eval('tbody tr', (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
  const dir = path.join(demo.sites, 'default', 'files');
  assert.deepEqual(rows.map((r) => r[0]).sort(), ['../', 'notes.txt', 'numbers.txt']);
  for (const [name, size] of rows.filter((r) => r[0] !== '../')) {
    assert.equal(Number(size), fs.statSync(path.join(dir, name)).size, `size of ${name}`);
  }

  await page.click('a[href="notes.txt"]');
  await page.waitForURL(/\/files\/notes\.txt$/);
  assert.equal(await page.textContent('body'), fs.readFileSync(path.join(dir, 'notes.txt'), 'utf8'));
  await page.goBack();
  await page.click('a[href="../"]');
  await page.waitForURL(demo.url('localhost'));

  // /files without its slash: a 301 to the folder.
  const res = await page.goto(demo.url('localhost', '/files'));
  assert.equal(new URL(page.url()).pathname, '/files/');
  const first = res.request().redirectedFrom();
  assert.ok(first, '/files was redirected');
  assert.equal((await first.response()).status(), 301);
});

browserTest('JSON listing: /files/?format=json from the welcome page\'s link', async ({ page, demo }) => {
  await page.goto(demo.url('localhost'));
  const res = await follow(page, '#next a[href="/files/?format=json"]');
  assert.equal(res.status(), 200);
  assert.match(res.headers()['content-type'], /^application\/json/);
  const entries = await res.json();
  const dir = path.join(demo.sites, 'default', 'files');
  assert.deepEqual(entries.map((e) => e.name).sort(), ['notes.txt', 'numbers.txt']);
  for (const e of entries) {
    assert.equal(e.type, 'file');
    assert.equal(e.size, fs.statSync(path.join(dir, e.name)).size);
    assert.ok(!Number.isNaN(Date.parse(e.mtime)), `mtime ${e.mtime} is a date`);
  }
  // What the browser shows is that JSON.
  assert.deepEqual(JSON.parse(await page.textContent('body')), entries);
});

browserTest('directory listings have their site\'s look: /files/, /uploads/, the blog\'s /images/', async ({ page, demo }) => {
  const looks = [];
  for (const [site, p] of [['localhost', '/files/'], ['localhost', '/uploads/'], ['blog.localhost', '/images/']]) {
    await page.goto(demo.url(site, p));
    looks.push([site + p, (await computed(page, 'body', ['background-color']))['background-color']]);
  }
  assert.deepEqual(looks.filter(([, bg]) => bg !== SITE_BG), []);
});
