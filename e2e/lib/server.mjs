// Starts portico on a private copy of the demo (configs/demo.yaml and
// sites/), so that uploads and notes written by the tests never land in the
// repository, and stops it again.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

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

// The demo's config with every `listen: 8080` moved to `port`.
export function writeConfig(repo, config, port) {
  const text = fs.readFileSync(path.join(repo, 'configs', 'demo.yaml'), 'utf8');
  let moved = 0;
  const out = text.replace(/^(\s*-?\s*listen:\s*)8080\b/gm, (m, head) => {
    moved += 1;
    return head + port;
  });
  if (moved === 0 || /^\s*-?\s*listen:[^#\n]*\b8080\b/m.test(out)) {
    throw new Error('configs/demo.yaml: cannot move its listen lines off port 8080 ' +
      `(${moved} moved); e2e/lib/server.mjs expects "listen: 8080" lines`);
  }
  fs.writeFileSync(config, out);
  return moved;
}

function get(port, host, urlPath) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, headers: { Host: host },
      timeout: 1000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
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

// Starts `bin -c <copy of demo.yaml>` and waits until all three sites
// answer. Returns { port, dir, sites, origin(site), url(site, path),
// stop(), cleanup() }.
export async function startDemo({ repo, bin, keep = false }) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portico-e2e-'));
  const config = copyDemo(repo, dir);
  const errLog = path.join(dir, 'error.log');
  const outLog = path.join(dir, 'access.log');

  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    writeConfig(repo, config, port);
    const child = spawn(bin, ['-c', config], {
      cwd: dir,
      stdio: ['ignore', fs.openSync(outLog, 'a'), fs.openSync(errLog, 'a')],
    });
    let exited = null;
    const done = new Promise((resolve) => child.on('exit', (code, signal) => {
      exited = { code, signal };
      resolve(exited);
    }));
    // A crash of the runner must not leave portico behind.
    const reap = () => { if (!exited) child.kill('SIGKILL'); };
    process.on('exit', reap);

    const deadline = Date.now() + 10_000;
    let up = false;
    while (!exited && Date.now() < deadline) {
      const codes = await Promise.all(['localhost', 'blog.localhost', 'api.localhost']
        .map((h) => get(port, `${h}:${port}`, '/')));
      if (codes.every((c) => c === 200)) { up = true; break; }
      await sleep(100);
    }
    if (!up) {
      if (!exited) { child.kill('SIGKILL'); await done; }
      process.off('exit', reap);
      const why = tail(errLog);
      if (attempt < 3 && /Address already in use/.test(why)) continue;
      if (!keep) fs.rmSync(dir, { recursive: true, force: true });
      throw new Error(`portico did not answer on port ${port} within 10 s ` +
        `(exit: ${JSON.stringify(exited)}); its error log:\n${why}`);
    }

    const origin = (site) => `http://${site}:${port}`;
    return {
      port,
      dir,
      sites: path.join(dir, 'sites'),
      errLog,
      outLog,
      origin,
      url: (site, p = '/') => origin(site) + p,
      // SIGTERM, as a person's Ctrl-C; portico finishes and exits 0.
      async stop() {
        if (!exited) {
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
          await done;
          clearTimeout(timer);
        }
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
