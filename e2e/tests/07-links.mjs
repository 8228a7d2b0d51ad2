// Every page and link of every demo site, as a browser follows them: from
// each site's home page, every link on the site's own host is opened; each
// must answer as expected (200, or 404 for the links meant to show the
// 404 page), its images must load, its stylesheets, scripts and fetches
// must not fail, no script may throw, and every file of the site the
// browser got must be byte for byte the file on disk. Every HTML file of
// the site (but its error pages) must be reached this way. A link may
// leave the site for another demo site on the same port, no further.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { brokenImages } from '../lib/browser.mjs';
import { browserTest } from '../lib/harness.mjs';
import { SITES as DEMO_SITES } from '../lib/server.mjs';

const MAX_PAGES = 100;

function htmlFiles(root, rel = '') {
  return fs.readdirSync(path.join(root, rel), { withFileTypes: true }).flatMap((d) => {
    const r = path.posix.join(rel, d.name);
    if (d.isDirectory()) return d.name === 'errors' ? [] : htmlFiles(root, r);
    return d.name.endsWith('.html') ? ['/' + r] : [];
  });
}

// What the browser got for each address that is a file of the site (pages,
// stylesheets, scripts, images): byte for byte that file.
function sameAsDisk(page, origin, root, bad) {
  const checks = [];
  let count = 0;
  page.on('response', (res) => {
    const u = new URL(res.url());
    if (u.origin !== origin || res.status() !== 200 || res.request().method() !== 'GET') return;
    if (u.pathname.startsWith('/cgi-bin/')) return;   // scripts: what they print is not what they are
    let file = path.join(root, decodeURIComponent(u.pathname));
    if (u.pathname.endsWith('/')) file = path.join(file, 'index.html');
    if (!fs.existsSync(file) || !fs.statSync(file).isFile()) return;   // a listing, a CGI script's answer
    checks.push(res.body().then((body) => {
      count += 1;
      if (!body.equals(fs.readFileSync(file))) {
        bad.push(`${res.url()}: ${body.length} bytes differ from ${path.relative(root, file)} (${fs.statSync(file).size} bytes)`);
      }
    }, () => {}));   // a body chromium no longer holds (the page was left)
  });
  return async () => {
    await Promise.all(checks.splice(0));
    return count;
  };
}

async function walk(page, watch, origin, root, { expect404 = [], skip = () => false }) {
  const queue = [origin + '/'];
  const seen = new Set(queue);
  const bad = [];
  const reached = new Set();   // final paths of the pages that answered
  const compare = sameAsDisk(page, origin, root, bad);
  let opened = 0;
  let compared = 0;
  while (queue.length && opened < MAX_PAGES) {
    const url = queue.shift();
    const p = new URL(url).pathname;
    opened += 1;
    let res;
    try {
      res = await page.goto(url);
    } catch (err) {
      bad.push(`${url}: ${err.message.split('\n')[0]}`);
      continue;
    }
    const want = expect404.includes(p) ? 404 : 200;
    if (!res || res.status() !== want) bad.push(`${url}: HTTP ${res && res.status()}, expected ${want}`);
    reached.add(new URL(page.url()).pathname);
    const type = (res && res.headers()['content-type']) || '';
    if (/^application\/json/.test(type)) {
      try { JSON.parse(await res.text()); } catch (err) { bad.push(`${url}: not JSON (${err.message})`); }
    }
    if (/^text\/html/.test(type)) {
      for (const src of await brokenImages(page)) bad.push(`${url}: image ${src} did not load`);
      for (const href of await page.$$eval('a[href]', (as) => as.map((a) => a.href))) {
        const u = new URL(href);
        u.hash = '';
        const next = u.href;
        if (u.origin === origin && !seen.has(next) && !skip(u.pathname)) {
          seen.add(next);
          queue.push(next);
        } else if (u.origin !== origin && !DEMO_SITES.includes(u.hostname)) {
          bad.push(`${url}: link out of the demo: ${href}`);
        } else if (u.origin !== origin && u.port !== new URL(origin).port) {
          bad.push(`${url}: link to another demo site off this port: ${href}`);
        }
      }
    }
    await watch.settle();
    compared = await compare();
    for (const problem of watch.problems.splice(0)) bad.push(`${url}: ${problem}`);
  }
  if (queue.length) bad.push(`more than ${MAX_PAGES} pages: ${queue.slice(0, 5).join(' ')} ...`);
  return { bad, reached, opened, compared };
}

const SITES = [
  // Uploaded files are not the site's pages (and may be downloads).
  ['localhost', 'default', { expect404: ['/no-such-page'], skip: (p) => p.startsWith('/uploads/') && p !== '/uploads/' }],
  ['blog.localhost', 'blog', { expect404: ['/posts/no-such-post.html'] }],
  ['api.localhost', 'api/public', {}],
  // The app's pages come from app.py (through the proxy); only its static/
  // files are on disk, and compared.
  ['app.localhost', 'app/public', {}],
];

for (const [site, dir, opts] of SITES) {
  browserTest(`links: every page and link of ${site} answers, loads its resources, throws no error`,
    async ({ page, watch, demo, t }) => {
      const root = path.join(demo.sites, dir);
      const { bad, reached, opened, compared } = await walk(page, watch, demo.origin(site), root, opts);
      t.diagnostic(`${site}: ${opened} addresses opened, ${compared} responses compared with their files`);
      assert.deepEqual(bad, []);
      const files = htmlFiles(root).map((f) => f.replace(/(^|\/)index\.html$/, '$1'));
      assert.deepEqual(files.filter((f) => !reached.has(f)), [], `HTML files of sites/${dir} no link reaches`);
    }, { timeout: 120_000 });
}
