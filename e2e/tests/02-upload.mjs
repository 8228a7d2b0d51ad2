// The default site's upload page (/upload.html): with JavaScript (the form
// sent by js/upload.js with fetch, the list from /uploads/?format=json,
// delete buttons) and without it (the browser posts the form and portico
// answers with its own page).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { SITE_BG, computed, follow, waitText } from '../lib/browser.mjs';
import { browserTest, env, scratchFile } from '../lib/harness.mjs';

const uploads = () => path.join(env.demo.sites, 'default', 'uploads');
const onDisk = (name) => path.join(uploads(), name);
const row = (name) => `#file-list tr[data-name="${name}"]`;

// Files a test left behind (it failed half-way) must not fail the next one.
// (demo.request, not ctx.request: playwright's requests go through node's
// TLS, which knows nothing of the CA chromium was told to trust.)
async function removeUploads(ctx, names) {
  for (const n of names) {
    await env.demo.request('DELETE', env.demo.url('localhost', '/uploads/' + encodeURIComponent(n)));
  }
}

async function upload(page, files) {
  await page.setInputFiles('#file-input', files);
  await page.click('#upload-form button[type="submit"]');
}

browserTest('upload page: two files through the form, listed, the same name again (-1), both deleted',
  async ({ page, ctx, demo }) => {
    const spaced = 'field notes.txt';
    const plain = 'readings.csv';
    const suffixed = 'field notes-1.txt';
    const a = scratchFile(spaced, 'A file whose name has a space.\n');
    const b = scratchFile(plain, 'x,y\n1,2\n3,4\n');
    const a2 = scratchFile(spaced, 'Another file, same name.\n');
    try {
      await page.goto(demo.url('localhost', '/upload.html'));
      // upload.js listed the (empty) folder.
      await page.waitForSelector('#file-empty', { state: 'visible' });
      assert.equal(await page.isHidden('#file-table'), true);

      await upload(page, [a, b]);
      const said = await waitText(page, '#upload-status', /^Uploaded /);
      assert.equal(said, `Uploaded ${spaced} (31 B), ${plain} (12 B).`);
      assert.match(await page.getAttribute('#upload-status', 'class'), /\bok\b/);
      await page.waitForSelector(row(spaced));
      await page.waitForSelector(row(plain));
      assert.equal(await page.isHidden('#file-empty'), true);
      assert.equal(await page.inputValue('#file-input'), '', 'the form is reset');

      // The names link to the files, the space escaped; sizes as upload.js shows them.
      const href = await page.getAttribute(`${row(spaced)} a`, 'href');
      assert.equal(href, '/uploads/field%20notes.txt');
      assert.equal(await page.textContent(`${row(plain)} td.num`), '12 B');
      assert.equal(await page.getAttribute(`${row(plain)} td.num`, 'title'), '12 bytes');
      assert.equal(fs.readFileSync(onDisk(spaced), 'utf8'), 'A file whose name has a space.\n');
      assert.equal(fs.readFileSync(onDisk(plain), 'utf8'), 'x,y\n1,2\n3,4\n');
      const got = await demo.request('GET', demo.url('localhost', href));
      assert.equal(got.status, 200);
      assert.equal(got.body.toString(), 'A file whose name has a space.\n');

      // The same name again: portico keeps the first and suffixes the new one.
      await upload(page, [a2]);
      assert.equal(await waitText(page, '#upload-status', /^Uploaded /), `Uploaded ${suffixed} (25 B).`);
      await page.waitForSelector(row(suffixed));
      assert.equal(fs.readFileSync(onDisk(spaced), 'utf8'), 'A file whose name has a space.\n');
      assert.equal(fs.readFileSync(onDisk(suffixed), 'utf8'), 'Another file, same name.\n');
      assert.equal(await page.locator('#file-list tr').count(), 3);

      // Delete them with their buttons.
      for (const name of [spaced, plain, suffixed]) {
        await page.click(`button[aria-label="Delete ${name}"]`);
        // (the message of the previous delete stays until this one's answer)
        await waitText(page, '#upload-status', `Deleted ${name}.`);
        await page.waitForSelector(row(name), { state: 'detached' });
        assert.equal(fs.existsSync(onDisk(name)), false, `${name} is gone from the disk`);
      }
      await page.waitForSelector('#file-empty', { state: 'visible' });
      assert.equal(await page.isHidden('#file-table'), true);
    } finally {
      await removeUploads(ctx, [spaced, plain, suffixed]);
    }
  });

browserTest('upload page: a file over body_size (100m) shows the 413 message, nothing stored',
  async ({ page, ctx, watch, demo }) => {
    // One byte more than the location's limits.body_size of 100m; sparse,
    // so it costs no disk.
    const big = scratchFile('too big.bin', '');
    fs.truncateSync(big, 100 * 1024 * 1024 + 1);
    watch.allow(413, /\/uploads\/$/);
    await page.goto(demo.url('localhost', '/upload.html'));
    await page.waitForSelector('#file-empty', { state: 'visible' });
    await upload(page, [big]);
    const said = await waitText(page, '#upload-status', /^Upload failed/, 30_000);
    assert.match(said, /^Upload failed: HTTP 413 .*too large for limits\.body_size\.$/);
    assert.match(await page.getAttribute('#upload-status', 'class'), /\berror\b/);
    assert.equal(await page.isEnabled('#upload-form button[type="submit"]'), true);
    assert.deepEqual(fs.readdirSync(uploads()).filter((n) => !n.startsWith('.')), []);
    await page.waitForSelector('#file-empty', { state: 'visible' });
  }, { timeout: 90_000 });

browserTest('upload page without JavaScript: the form posts, portico answers with links to the files',
  async ({ page, ctx, demo }) => {
    const names = ['no script.txt', 'plain.txt'];
    const files = [scratchFile(names[0], 'sent by a browser without JavaScript\n'), scratchFile(names[1], 'two\n')];
    try {
      await page.goto(demo.url('localhost', '/upload.html'));
      // The page as it stands without upload.js: the form, the hint to the HTML listing.
      assert.equal(await page.isHidden('#file-table'), true);
      assert.equal(await page.isVisible('#list-note a[href="/uploads/"]'), true);
      await page.setInputFiles('#file-input', files);
      const res = await follow(page, '#upload-form button[type="submit"]');
      assert.equal(res.status(), 201);
      assert.equal(res.request().method(), 'POST');
      assert.equal(new URL(page.url()).pathname, '/uploads/');
      const listed = await page.$$eval('a', (as) => as.map((a) => [a.textContent, a.getAttribute('href')]));
      assert.deepEqual(listed.filter(([t]) => names.includes(t)),
        [[names[0], '/uploads/no%20script.txt'], [names[1], '/uploads/plain.txt']]);
      assert.equal(fs.readFileSync(onDisk(names[0]), 'utf8'), 'sent by a browser without JavaScript\n');

      // Follow a link to the file, then the HTML listing shows both.
      await page.click(`text=${names[0]}`);
      await page.waitForURL(/\/uploads\/no%20script\.txt$/);
      assert.equal((await page.textContent('body')).trim(), 'sent by a browser without JavaScript');
      await page.goto(demo.url('localhost', '/upload.html'));
      await page.click('#list-note a[href="/uploads/"]');
      await page.waitForURL(/\/uploads\/$/);
      const inListing = await page.$$eval('a', (as) => as.map((a) => a.textContent));
      for (const n of names) assert.ok(inListing.includes(n), `${n} in /uploads/: ${inListing}`);
    } finally {
      await removeUploads(ctx, names);
    }
  }, { context: { javaScriptEnabled: false } });

browserTest('upload page without JavaScript: the result page has the site\'s look, a link back, "1 byte"',
  async ({ page, ctx, demo }) => {
    const one = scratchFile('one byte.txt', 'x');
    try {
      await page.goto(demo.url('localhost', '/upload.html'));
      await page.setInputFiles('#file-input', [one]);
      const res = await follow(page, '#upload-form button[type="submit"]');
      assert.equal(res.status(), 201);
      const wrong = [];
      const { 'background-color': bg } = await computed(page, 'body', ['background-color']);
      if (bg !== SITE_BG) wrong.push(`unstyled (background ${bg})`);
      const text = (await page.textContent('body')).replace(/\s+/g, ' ');
      if (/\b1 bytes\b/.test(text)) wrong.push('says "1 bytes"');
      if (!await page.$('a[href="/upload.html"], a[href="/"]')) wrong.push('no link back to /upload.html or /');
      assert.deepEqual(wrong, []);
    } finally {
      await removeUploads(ctx, ['one byte.txt']);
    }
  }, { context: { javaScriptEnabled: false } });
