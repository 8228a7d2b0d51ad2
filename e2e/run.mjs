// The browser tests of the portico demo: starts ./portico on a private copy
// of configs/demo.yaml and sites/ (HTTPS on a free port, its plain port
// redirecting there on another, the app behind app.localhost on two more;
// the certificate made by scripts/tls-cert.sh in the copy), launches
// Debian's chromium trusting the copy's CA, runs every e2e/tests/*.mjs
// with node's own test runner, then stops them all.
// Exits non-zero when a test fails or portico does not stop cleanly.
//
//   make e2e                                   # builds portico, npm ci, this
//   node --test-reporter=spec e2e/run.mjs      # the same, by hand
//   node --test-name-pattern=upload e2e/run.mjs
//   E2E_FIXME=1 node e2e/run.mjs               # also run the fixme tests (as todo)
//   KEEP_TMP=1 node e2e/run.mjs                # keep the demo copy and its logs
//
// PORTICO_BIN names the server binary (default: ./portico of the repository);
// E2E_CHROMIUM the browser (default: /usr/bin/chromium).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CHROMIUM, launch, trustingHome } from './lib/browser.mjs';
import { env, registerAll } from './lib/harness.mjs';
import { startDemo } from './lib/server.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..');
const bin = path.resolve(repo, process.env.PORTICO_BIN || 'portico');

function serverTrouble(log) {
  let text = '';
  try { text = fs.readFileSync(log, 'utf8'); } catch {}
  return text.split('\n').filter((l) => /\[(error|crit|alert|emerg)\]|\bworker \d+ (exited|killed)\b/.test(l));
}

function die(msg) {
  console.error(`e2e: ${msg}`);
  process.exit(1);
}

if (!fs.existsSync(bin)) die(`no portico binary at ${bin} (run make first)`);
if (!fs.existsSync(CHROMIUM)) die(`no browser at ${CHROMIUM} (apt-get install chromium)`);

env.shotsDir = path.join(repo, 'build', 'e2e');
fs.mkdirSync(env.shotsDir, { recursive: true });
for (const f of fs.readdirSync(env.shotsDir)) {
  if (/\.(png|log)$/.test(f)) fs.rmSync(path.join(env.shotsDir, f));
}
env.tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'portico-e2e-files-'));

const started = Date.now();
try {
  env.demo = await startDemo({ repo, bin, keep: !!process.env.KEEP_TMP });
} catch (err) {
  die(err.message);
}
let home;
try {
  home = trustingHome(env.demo.ca);
  env.browser = await launch({ home });
} catch (err) {
  await env.demo.stop();
  env.demo.cleanup();
  if (home) fs.rmSync(home, { recursive: true, force: true });
  die(`cannot start ${CHROMIUM}: ${err.message}`);
}
console.log(`# e2e: portico on ports ${env.demo.port} (HTTPS) and ${env.demo.httpPort} (plain, redirecting) ` +
  `serving a copy of the demo in ${env.demo.dir}; chromium ${env.browser.version()}, trusting ` +
  `${env.demo.ca}; ready in ${Date.now() - started} ms`);

after(async () => {
  await env.browser.close().catch(() => {});
  fs.rmSync(home, { recursive: true, force: true });
  const status = await env.demo.stop();
  fs.rmSync(env.tmp, { recursive: true, force: true });
  let failed = env.shots.length > 0;
  if (status.code !== 0) {
    console.error(`# e2e: portico exited with ${JSON.stringify(status)} on SIGTERM (expected code 0)`);
    failed = true;
  }
  // Nothing may have gone wrong on the server's side while the browser
  // used it, not even a worker that died and was replaced unseen.
  const trouble = serverTrouble(env.demo.errLog);
  if (trouble.length) {
    console.error(`# e2e: portico's error log has ${trouble.length} line(s) at error level or about a worker's exit:`);
    for (const l of trouble.slice(0, 20)) console.error(`#   ${l}`);
    failed = true;
  }
  if (status.code !== 0 || trouble.length) process.exitCode = 1;
  for (const s of env.shots) console.log(`# e2e: screenshot ${s}`);
  if (failed) {
    // The server's side of the failures, next to the screenshots.
    for (const log of [env.demo.errLog, env.demo.outLog]) {
      try { fs.copyFileSync(log, path.join(env.shotsDir, 'portico-' + path.basename(log))); } catch {}
    }
    console.log(`# e2e: portico's logs copied to ${path.relative(process.cwd(), env.shotsDir) || '.'}/`);
  }
  env.demo.cleanup();
  if (process.env.KEEP_TMP) console.log(`# e2e: demo copy kept in ${env.demo.dir}`);
});

const testsDir = path.join(here, 'tests');
for (const f of fs.readdirSync(testsDir).filter((n) => n.endsWith('.mjs')).sort()) {
  await import(pathToFileURL(path.join(testsDir, f)).href);
}
registerAll();
