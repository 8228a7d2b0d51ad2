// What the tests share: the running demo and browser (set by run.mjs before
// it imports the tests), and test() wrappers that give each test a fresh
// browser context, check the page for broken resources and script errors
// at the end, and save a screenshot of every page under build/e2e/ when
// the test fails.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { watchPage } from './browser.mjs';

export const env = {
  demo: null,        // lib/server.mjs startDemo()
  browser: null,     // playwright Browser
  shotsDir: null,    // build/e2e
  tmp: null,         // a scratch folder for files to upload
  shots: [],         // screenshots taken
};

const TEST_TIMEOUT = 60_000;

// Test files only declare their tests; run.mjs registers them all with
// node:test in one synchronous go once every file is imported. Registered
// file by file, the runner could finish the tests it has (all skipped, with
// --test-name-pattern) and run the root `after` hook, stopping the browser
// and portico, before the next file is even read.
const declared = [];

export function registerAll() {
  for (const register of declared.splice(0)) register();
}

function slug(name) {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 80);
}

async function screenshots(ctx, name) {
  fs.mkdirSync(env.shotsDir, { recursive: true });
  const pages = ctx.pages();
  for (let i = 0; i < pages.length; i++) {
    const file = path.join(env.shotsDir, slug(name) + (i ? `-${i + 1}` : '') + '.png');
    // A whole page; the viewport alone where that fails (chromium cannot
    // measure an SVG document shown on its own).
    let err = null;
    for (const fullPage of [true, false]) {
      try {
        await pages[i].screenshot({ path: file, fullPage, timeout: 5000 });
        err = null;
        break;
      } catch (e) {
        err = e;
      }
    }
    env.shots.push(err ? `${file}: no screenshot (${err.message.split('\n')[0]})`
      : `${path.relative(process.cwd(), file)} (${pages[i].url()})`);
  }
}

// test(name) with { page, ctx, watch, demo, t } handed to `fn`.
// opts.context: options of browser.newContext (javaScriptEnabled, viewport, ...).
export function browserTest(name, fn, opts = {}) {
  const { context = {}, timeout = TEST_TIMEOUT, ...testOpts } = opts;
  declared.push(() => test(name, { timeout, ...testOpts }, async (t) => {
    const ctx = await env.browser.newContext({ colorScheme: 'light', ...context });
    ctx.setDefaultTimeout(10_000);
    ctx.setDefaultNavigationTimeout(15_000);
    const page = await ctx.newPage();
    const watch = watchPage(page);
    try {
      await fn({ page, ctx, watch, demo: env.demo, t });
      await watch.settle();
      assert.deepEqual(watch.problems, [], 'the page had broken resources or script errors');
    } catch (err) {
      await screenshots(ctx, name);
      throw err;
    } finally {
      await ctx.close();
    }
  }));
}

// A test of what the demo does not do yet: skipped ("fixme") with the
// issue item that will make it pass. E2E_FIXME=1 runs them as todo tests
// (reported, never failing the run), to see which pass once it is done.
export function fixme(item, reason, name, fn, opts = {}) {
  const mark = `fixme (${item}): ${reason}`;
  if (process.env.E2E_FIXME) browserTest(name, fn, { ...opts, todo: mark });
  else declared.push(() => test(name, { skip: mark }, () => {}));
}

// A scratch file to upload, named as a person's file would be (each in a
// folder of its own, so two tests may use one name).
export function scratchFile(name, content) {
  const file = path.join(fs.mkdtempSync(path.join(env.tmp, 'f-')), name);
  fs.writeFileSync(file, content);
  return file;
}
