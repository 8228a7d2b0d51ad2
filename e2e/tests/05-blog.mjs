// The blog (blog.localhost, sites/blog/): the post list, every post, the
// redirects of its about page, the /images/ listing and its own 404 page.
import assert from 'node:assert/strict';
import { ACCENT, SITE_BG, brokenImages, computed, follow } from '../lib/browser.mjs';
import { browserTest } from '../lib/harness.mjs';

const POSTS = [
  ['/posts/drawing-a-png.html', 'Drawing a PNG with zlib and struct'],
  ['/posts/reloads.html', 'Reloading without dropping a request'],
  ['/posts/virtual-hosts.html', 'One port, three sites'],
  ['/posts/hello-portico.html', 'Hello from portico'],
];

async function blogLook(page) {
  assert.deepEqual(await computed(page, 'body', ['background-color', 'font-size']),
    { 'background-color': SITE_BG, 'font-size': '17px' });
  assert.deepEqual(await brokenImages(page), []);
}

browserTest('blog: the home page renders with blog.css, its banner and logo, and lists four posts',
  async ({ page, demo }) => {
    const res = await page.goto(demo.url('blog.localhost'));
    assert.equal(res.status(), 200);
    assert.match(await page.title(), /^Colonnade/);
    await blogLook(page);
    assert.deepEqual(await computed(page, '.post-list', ['list-style-type']), { 'list-style-type': 'none' });
    assert.deepEqual(await computed(page, '.post-list li', ['background-color', 'border-top-style']),
      { 'background-color': 'rgb(255, 255, 255)', 'border-top-style': 'solid' });
    assert.deepEqual(await computed(page, '.tag', ['display']), { display: 'inline-block' });
    const banner = await page.$eval('.banner img', (i) => [new URL(i.src).pathname, i.naturalWidth, i.getBoundingClientRect().width]);
    assert.equal(banner[0], '/images/dusk.png');
    assert.ok(banner[1] > 0 && banner[2] > 300, `dusk.png decoded and shown wide: ${banner}`);
    const listed = await page.$$eval('.post-list h2 a', (as) => as.map((a) => [a.getAttribute('href'), a.textContent]));
    assert.deepEqual(listed, POSTS);
  });

browserTest('blog: each post opens from the list, styled, images loaded, and links to its neighbours',
  async ({ page, demo }) => {
    for (const [href, title] of POSTS) {
      await page.goto(demo.url('blog.localhost'));
      const res = await follow(page, `.post-list a[href="${href}"]`);
      assert.equal(res.status(), 200, href);
      assert.equal(await page.textContent('article h1'), title);
      await blogLook(page);
      const next = await page.$$eval('.post-nav a', (as) => as.map((a) => a.getAttribute('href')));
      assert.ok(next.length >= 1 && next.every((h) => POSTS.some(([p]) => p === h)), `${href}: post-nav ${next}`);
    }
    // The vhosts post's picture is an SVG; the PNG post shows the PNG.
    await page.goto(demo.url('blog.localhost', '/posts/virtual-hosts.html'));
    assert.ok(await page.$eval('img[src="/images/vhosts.svg"]', (i) => i.naturalWidth > 0));
  });

browserTest('blog: the about page\'s redirects (301, the shorthand, 308 keeping the path) land on their pages',
  async ({ page, demo }) => {
    for (const [href, status, to, h1] of [
      ['/old-post', 301, '/posts/hello-portico.html', 'Hello from portico'],
      ['/author', 301, '/about.html', 'About Colonnade'],
      ['/2026/reloads.html', 308, '/posts/reloads.html', 'Reloading without dropping a request'],
    ]) {
      await page.goto(demo.url('blog.localhost', '/about.html'));
      const res = await follow(page, `a[href="${href}"]`);
      assert.equal(res.status(), 200, href);
      assert.equal(new URL(page.url()).pathname, to);
      const first = res.request().redirectedFrom();
      assert.ok(first, `${href} was redirected`);
      assert.equal(new URL(first.url()).pathname, href);
      assert.equal((await first.response()).status(), status, href);
      assert.equal(await page.textContent('h1'), h1);
    }
  });

browserTest('blog: /images/ is listed, each picture opens, and ?format=json lists the same files',
  async ({ page, demo }) => {
    await page.goto(demo.url('blog.localhost'));
    await page.click('header nav a[href="/images/"]');
    await page.waitForURL(/\/images\/$/);
    assert.equal(await page.textContent('h1'), 'Index of /images/');
    const names = await page.$$eval('tbody a', (as) => as.map((a) => a.textContent));
    assert.deepEqual(names.sort(), ['../', 'dusk.png', 'logo.svg', 'vhosts.svg']);
    for (const n of ['dusk.png', 'logo.svg', 'vhosts.svg']) {
      await page.click(`a[href="${n}"]`);
      await page.waitForURL(new RegExp(`/images/${n.replace('.', '\\.')}$`));
      // chromium shows a PNG's address as a page holding that image, and
      // an SVG's as the SVG document itself.
      const w = await page.evaluate(() => {
        const root = document.documentElement;
        if (root.localName === 'svg') return root.getBoundingClientRect().width;
        return document.querySelector('img')?.naturalWidth || 0;
      });
      assert.ok(w > 0, `${n} displayed`);
      await page.goBack();
    }

    await page.goto(demo.url('blog.localhost', '/posts/drawing-a-png.html'));
    const res = await follow(page, 'a[href="/images/?format=json"]');
    assert.equal(res.status(), 200);
    const entries = await res.json();
    assert.deepEqual(entries.map((e) => [e.name, e.type]).sort(),
      [['dusk.png', 'file'], ['logo.svg', 'file'], ['vhosts.svg', 'file']]);
  });

browserTest('blog: a missing post gets the blog\'s own 404 page, styled, with links back', async ({ page, demo }) => {
  await page.goto(demo.url('blog.localhost', '/about.html'));
  const res = await follow(page, 'a[href="/posts/no-such-post.html"]');
  assert.equal(res.status(), 404);
  assert.equal(await page.getAttribute('main', 'data-page'), 'blog-404');
  assert.equal(await page.textContent('h1'), 'This page was never written');
  await blogLook(page);
  assert.deepEqual(await computed(page, '.error-code', ['color']), { color: ACCENT });
  await page.click('text=About this blog');
  await page.waitForURL(/\/about\.html$/);
  await page.goBack();
  await page.click('text=See all posts');
  await page.waitForURL(demo.url('blog.localhost'));
});

browserTest('blog: the reload post tells make reload (the demo\'s pid_file), not pgrep', async ({ page, demo }) => {
  await page.goto(demo.url('blog.localhost', '/posts/reloads.html'));
  const text = await page.textContent('article');
  assert.deepEqual(text.split('\n').filter((l) => /pgrep/.test(l)).map((l) => l.trim()), []);
  assert.match(text, /make reload/);
});

browserTest('blog: compress is on: the page comes gzipped, blog.css as its precompressed copy or gzipped, and both render',
  async ({ page, demo }) => {
    const seen = new Map();
    page.on('response', (r) => seen.set(new URL(r.url()).pathname, r.headers()));
    const res = await page.goto(demo.url('blog.localhost'));
    assert.equal(res.status(), 200);
    await blogLook(page);
    const html = seen.get('/');
    assert.equal(html['content-encoding'], 'gzip');
    assert.equal(html.vary, 'Accept-Encoding');
    assert.match(html.etag, /^W\//);
    const css = seen.get('/css/blog.css');
    assert.ok(css, 'blog.css was fetched');
    // br: blog.css.br (make precompress) newer than blog.css; else gzip on the fly.
    assert.ok(['br', 'gzip'].includes(css['content-encoding']), `blog.css: ${css['content-encoding']}`);
    assert.equal(css.vary, 'Accept-Encoding');
  });
