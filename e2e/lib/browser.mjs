// Debian's chromium driven by playwright-core (never a downloaded browser),
// one fresh browser context per test, and the checks every page shares.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.E2E_CHROMIUM || '/usr/bin/chromium';

// The network here is closed: without the background-networking switches
// chromium keeps trying to reach Google's services. playwright-core gives
// each launch a fresh temporary --user-data-dir of its own (and removes it
// on close); it refuses one passed in `args`.
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

// A HOME of its own for chromium, whose NSS database (~/.pki/nssdb, where
// chromium on Linux keeps the certificate authorities a user added) trusts
// `ca` for web sites, as a person does who imports build/tls/ca.pem in the
// browser's settings: the demo's HTTPS is then checked like any site's
// (chain, names, dates), and ignoreHTTPSErrors stays off. certutil is
// Debian's libnss3-tools.
export function trustingHome(ca) {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'portico-e2e-home-'));
  const db = `sql:${path.join(home, '.pki', 'nssdb')}`;
  fs.mkdirSync(path.join(home, '.pki', 'nssdb'), { recursive: true });
  try {
    execFileSync('certutil', ['-N', '-d', db, '--empty-password'], { stdio: 'pipe' });
    execFileSync('certutil', ['-A', '-d', db, '-n', 'portico e2e CA', '-t', 'C,,', '-i', ca], { stdio: 'pipe' });
  } catch (err) {
    fs.rmSync(home, { recursive: true, force: true });
    const why = err.code === 'ENOENT' ? 'no certutil (apt-get install libnss3-tools)' : String(err.stderr || err.message);
    throw new Error(`cannot make chromium trust ${ca}: ${why}`);
  }
  return home;
}

// Chromium with HOME `home` (trustingHome), so that it trusts the demo's CA.
export function launch({ home } = {}) {
  return chromium.launch({
    executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS,
    env: home ? { ...process.env, HOME: home } : process.env,
  });
}

// Watches one page for what a person would call broken: a script error, a
// resource that failed or came back 4xx/5xx. The main document's own status
// is the test's to check (a 404 page is meant to be a 404).
export function watchPage(page) {
  const problems = [];
  const allowed = [];   // [status, RegExp] a test expects
  const inflight = new Set();

  const isAllowed = (status, url) => allowed.some(([s, re]) => s === status && re.test(url));
  page.on('pageerror', (err) => problems.push(`script error: ${err.message}`));
  page.on('console', (msg) => {
    // "Failed to load resource" repeats what the response check below
    // reports with its URL (and would flag the 404 page's own status).
    if (msg.type() === 'error' && !/^Failed to load resource/.test(msg.text())) {
      problems.push(`console error: ${msg.text()}`);
    }
  });
  page.on('request', (req) => inflight.add(req));
  page.on('requestfinished', (req) => inflight.delete(req));
  page.on('requestfailed', (req) => {
    inflight.delete(req);
    const err = req.failure()?.errorText || 'failed';
    // net::ERR_ABORTED is the browser's own cancel: the page was left
    // while a script's fetch was under way, or chromium dropped a fetch
    // whose body the script never reads, once its response arrived (so
    // main.js's HEAD / and upload.js's DELETEs, the same against python's
    // http.server). What a server does wrong shows as another error (reset,
    // empty response, cut body) or a status.
    if (err === 'net::ERR_ABORTED') return;
    problems.push(`${req.method()} ${req.url()}: ${err}`);
  });
  page.on('response', (res) => {
    const req = res.request();
    if (res.status() >= 400 && !(req.isNavigationRequest() && req.frame() === page.mainFrame()) &&
        !isAllowed(res.status(), res.url())) {
      problems.push(`${req.method()} ${res.url()}: HTTP ${res.status()}`);
    }
  });

  return {
    problems,
    allow(status, re) { allowed.push([status, re]); },
    // Waits until no request of the page is in flight (fetches started by
    // its scripts included), so that leaving it aborts nothing.
    async settle(timeout = 10_000) {
      const end = Date.now() + timeout;
      while (inflight.size > 0) {
        if (Date.now() > end) {
          throw new Error(`requests still in flight after ${timeout} ms: ` +
            [...inflight].map((r) => r.url()).join(', '));
        }
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    clear() { problems.length = 0; },
  };
}

// Every <img> of the page finished loading and decoded to a real picture.
export async function brokenImages(page) {
  await page.waitForFunction(() => [...document.images].every((i) => i.complete), null,
    { timeout: 10_000 });
  return page.evaluate(() => [...document.images]
    .filter((i) => !(i.naturalWidth > 0 && i.naturalHeight > 0))
    .map((i) => i.currentSrc || i.src));
}

export function computed(page, selector, props) {
  return page.$eval(selector, (el, names) => {
    const cs = getComputedStyle(el);
    return Object.fromEntries(names.map((n) => [n, cs.getPropertyValue(n)]));
  }, props);
}

// Waits until the element's text matches `re` (a string: is exactly that);
// the error says what it was.
export async function waitText(page, selector, re, timeout = 10_000) {
  if (typeof re === 'string') re = new RegExp(`^${re.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  try {
    await page.waitForFunction(([sel, src, flags]) => {
      const el = document.querySelector(sel);
      return !!el && new RegExp(src, flags).test(el.textContent);
    }, [selector, re.source, re.flags], { timeout });
  } catch (err) {
    const now = await page.$eval(selector, (el) => el.textContent).catch(() => '(no such element)');
    throw new Error(`${selector}: text never matched ${re} within ${timeout} ms; it is ${JSON.stringify(now)}`);
  }
  return page.$eval(selector, (el) => el.textContent);
}

// Links of the page as absolute URLs (anchors resolved by the browser).
export function links(page) {
  return page.$$eval('a[href]', (as) => as.map((a) => a.href));
}

// Which of the site's look a page has: the four demo sites share the
// palette (background #f7f5f0, system-ui text) through their stylesheets.
export const SITE_BG = 'rgb(247, 245, 240)';
export const ACCENT = 'rgb(180, 83, 42)';

// Clicks what leads to another page (a link, a form's button) and returns
// the response of the page it leads to.
export async function follow(page, selector) {
  const [res] = await Promise.all([page.waitForNavigation(), page.click(selector)]);
  return res;
}
