// Starts portico on a private copy of the demo (configs/demo.yaml and
// sites/), so that uploads and notes written by the tests never land in the
// repository, and stops it again; with it the app behind app.localhost, the
// copy's sites/app/app.py twice, on free ports in place of 9001 and 9002.
// The copy serves the four sites on HTTPS, with a certificate that
// scripts/tls-cert.sh makes in its build/tls/ (a CA of the copy's own, which
// the browser is told to trust: lib/browser.mjs), and its plain port
// redirects there, as make demo does.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';

// A port nobody listens on right now (the kernel picks it). Another process
// may take it before portico binds it: start() then tries another one.
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// What the repository has in these folders is a developer's own data
// (uploads, notes.json): the copy starts with the folders empty.
const EMPTY_IN_COPY = ['sites/default/uploads', 'sites/api/data'];

// configs/demo.yaml and sites/ side by side in `dir`, as in the repository:
// the config's relative paths (../sites/...) then lead into the copy.
export function copyDemo(repo, dir) {
  fs.mkdirSync(path.join(dir, 'configs'), { recursive: true });
  fs.cpSync(path.join(repo, 'sites'), path.join(dir, 'sites'), {
    recursive: true,
    filter: (src) => {
      const rel = path.relative(repo, src);
      return !EMPTY_IN_COPY.some((d) => rel.startsWith(d + path.sep) &&
        !/^\.git(ignore|keep)$/.test(path.basename(rel)));
    },
  });
  for (const d of EMPTY_IN_COPY) fs.mkdirSync(path.join(dir, d), { recursive: true });
  return path.join(dir, 'configs', 'demo.yaml');
}

// The demo's config with its HTTPS address 8443 (`listen: {address: 8443,
// tls: true}`, and the redirect to https://{host}:8443{uri}) moved to
// `port`, its plain `listen: 8080` to `httpPort`, and the upstream group
// app's servers 127.0.0.1:9001 and :9002 to `appPorts`.
export function writeConfig(repo, config, port, appPorts, httpPort) {
  const text = fs.readFileSync(path.join(repo, 'configs', 'demo.yaml'), 'utf8');
  let moved = 0;
  let out = text.replace(/^(\s*-?\s*listen:\s*\{\s*address:\s*)8443\b/gm, (m, head) => {
    moved += 1;
    return head + port;
  });
  let plain = 0;
  out = out.replace(/^(\s*-?\s*listen:\s*)8080\b/gm, (m, head) => {
    plain += 1;
    return head + httpPort;
  });
  let redirects = 0;
  out = out.replace(/(redirect:.*"https:\/\/\{host\}:)8443(\{uri\}")/g, (m, head, tail) => {
    redirects += 1;
    return head + port + tail;
  });
  if (moved === 0 || plain !== 1 || redirects !== 1 || /^\s*-?\s*listen:[^#\n]*\b(8080|8443)\b/m.test(out)) {
    throw new Error('configs/demo.yaml: cannot move its listen lines off ports 8080 and 8443 ' +
      `(${moved} TLS, ${plain} plain, ${redirects} redirects moved); e2e/lib/server.mjs expects ` +
      '"listen: {address: 8443, tls: true}" lines, one "listen: 8080" and its redirect to ' +
      '"https://{host}:8443{uri}"');
  }
  APP_PORTS.forEach((from, i) => {
    const line = new RegExp(`^(\\s*-\\s*127\\.0\\.0\\.1:)${from}$`, 'm');
    if (!line.test(out)) {
      throw new Error(`configs/demo.yaml: no upstream server "- 127.0.0.1:${from}" to move; ` +
        'e2e/lib/server.mjs expects the group app on 127.0.0.1:9001 and :9002');
    }
    out = out.replace(line, `$1${appPorts[i]}`);
  });
  fs.writeFileSync(config, out);
  return moved;
}

// The ports of the upstream group app in configs/demo.yaml, and the names
// scripts/serve.sh gives the two instances there.
const APP_PORTS = [9001, 9002];
const APP_NAMES = ['app-1', 'app-2'];
export const SITES = ['localhost', 'blog.localhost', 'api.localhost', 'app.localhost'];

function listening(port) {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port }, () => { sock.destroy(); resolve(true); });
    sock.on('error', () => resolve(false));
  });
}

// The copy's sites/app/app.py on each of `ports`, as make demo starts them;
// waits until both listen. Returns { procs, stop() }; throws (after
// stopping what it started) when one exits first.
async function startApp(dir, ports, log) {
  const procs = ports.map((port, i) => {
    const p = spawn('python3', ['sites/app/app.py', '--port', String(port), '--name', APP_NAMES[i]], {
      cwd: dir,
      stdio: ['ignore', 'ignore', fs.openSync(log, 'a')],
    });
    p.exited = new Promise((resolve) => p.on('exit', (code, signal) => {
      p.status = { code, signal };
      resolve(p.status);
    }));
    p.on('error', () => {});
    return p;
  });
  const stop = async () => {
    for (const p of procs) if (!p.status) p.kill('SIGTERM');
    await Promise.all(procs.map((p) => p.exited));
  };
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (procs.some((p) => p.status)) break;
    if ((await Promise.all(ports.map(listening))).every(Boolean)) return { procs, stop };
    await sleep(100);
  }
  await stop();
  throw new Error(`the app (sites/app/app.py on ports ${ports.join(' and ')}) did not start; ` +
    `its log:\n${tail(log)}`);
}

// The copy's certificate: scripts/tls-cert.sh, as make demo runs it, in
// the copy's build/tls/ (demo.yaml names ../build/tls/localhost.pem).
// Returns the CA's path.
export function makeCerts(repo, dir) {
  const tls = path.join(dir, 'build', 'tls');
  const r = spawnSync(path.join(repo, 'scripts', 'tls-cert.sh'), [tls], { encoding: 'utf8' });
  if (r.status !== 0) {
    throw new Error(`scripts/tls-cert.sh ${tls} failed (${r.error?.message || 'exit ' + r.status}): ${r.stderr}`);
  }
  return path.join(tls, 'ca.pem');
}

// GET over HTTPS, the certificate checked against `ca` (for the name
// 127.0.0.1, which it holds); the status, 0 when there was none.
function get(port, host, urlPath, ca) {
  return new Promise((resolve) => {
    const req = https.get({ host: '127.0.0.1', port, path: urlPath, headers: { Host: host },
      ca, timeout: 1000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

function request(method, url, ca) {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    // *.localhost is 127.0.0.1, as in the browser; the name still goes as
    // SNI and Host, and the certificate is checked for it.
    const req = https.request({ host: '127.0.0.1', servername: u.hostname, port: u.port,
      path: u.pathname + u.search, method, headers: { Host: u.host }, ca, timeout: 10_000,
      checkServerIdentity: (host, cert) => tls.checkServerIdentity(u.hostname, cert) }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${url}: no answer within 10 s`)));
    req.on('error', reject);
    req.end();
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function tail(file, lines = 15) {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

// Starts the app's two processes, then `bin -c <copy of demo.yaml>`, and
// waits until all four sites answer. Returns { port, appPorts, dir, sites,
// origin(site), url(site, path), stop(), cleanup() }.
export async function startDemo({ repo, bin, keep = false }) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portico-e2e-'));
  const config = copyDemo(repo, dir);
  let caFile;
  try {
    caFile = makeCerts(repo, dir);
  } catch (err) {
    if (!keep) fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const ca = fs.readFileSync(caFile);
  const errLog = path.join(dir, 'error.log');
  const outLog = path.join(dir, 'access.log');
  const appLog = path.join(dir, 'app.log');

  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const httpPort = await freePort();
    const appPorts = [await freePort(), await freePort()];
    if (new Set([port, httpPort, ...appPorts]).size < 4) continue;   // the kernel gave one twice
    writeConfig(repo, config, port, appPorts, httpPort);
    let app;
    try {
      // Before portico: its first health check then finds both up.
      app = await startApp(dir, appPorts, appLog);
    } catch (err) {
      if (attempt < 3 && /Address already in use/.test(tail(appLog))) continue;
      if (!keep) fs.rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    const child = spawn(bin, ['-c', config], {
      cwd: dir,
      stdio: ['ignore', fs.openSync(outLog, 'a'), fs.openSync(errLog, 'a')],
    });
    let exited = null;
    const done = new Promise((resolve) => child.on('exit', (code, signal) => {
      exited = { code, signal };
      resolve(exited);
    }));
    // A crash of the runner must not leave portico or the app behind.
    const reap = () => {
      if (!exited) child.kill('SIGKILL');
      for (const p of app.procs) if (!p.status) p.kill('SIGKILL');
    };
    process.on('exit', reap);

    const deadline = Date.now() + 10_000;
    let up = false;
    while (!exited && Date.now() < deadline) {
      const codes = await Promise.all(SITES.map((h) => get(port, `${h}:${port}`, '/', ca)));
      if (codes.every((c) => c === 200)) { up = true; break; }
      await sleep(100);
    }
    if (!up) {
      if (!exited) { child.kill('SIGKILL'); await done; }
      await app.stop();
      process.off('exit', reap);
      const why = tail(errLog);
      if (attempt < 3 && /Address already in use/.test(why)) continue;
      if (!keep) fs.rmSync(dir, { recursive: true, force: true });
      throw new Error(`portico did not answer on port ${port} within 10 s ` +
        `(exit: ${JSON.stringify(exited)}); its error log:\n${why}`);
    }

    const origin = (site) => `https://${site}:${port}`;
    return {
      port,           // HTTPS, where the sites are
      httpPort,       // plain HTTP: a 308 to the same URL on `port`
      appPorts,
      ca: caFile,     // the copy's certificate authority
      dir,
      sites: path.join(dir, 'sites'),
      errLog,
      outLog,
      appLog,
      origin,
      url: (site, p = '/') => origin(site) + p,
      httpUrl: (site, p = '/') => `http://${site}:${httpPort}${p}`,
      // A request from node, past the browser, its certificate checked
      // against the copy's CA: { status, headers, body (a Buffer) }.
      request: (method, url) => request(method, url, ca),
      // SIGTERM, as a person's Ctrl-C; portico finishes and exits 0. Then
      // the app, as make demo stops it.
      async stop() {
        if (!exited) {
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
          await done;
          clearTimeout(timer);
        }
        await app.stop();
        process.off('exit', reap);
        return exited;
      },
      // The copy goes (unless kept), its logs with it.
      cleanup() {
        if (!keep) fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  }
}
