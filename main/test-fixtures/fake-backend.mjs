// A stand-in backend for the supervisor tests: a real process that behaves as told by VIGIL_TEST_MODES, a
// comma-separated list with one behaviour per launch (the last one repeats), counted in the VIGIL_TEST_COUNTER file.
//   healthy   serves /healthz and POST /api/auth/session, reports ready, stops on SIGTERM (and its grandchild)
//   crash     writes an error line and exits with code 1
//   crashlate reports ready, then exits with code 1 after 300 ms
//   hang      reports ready, then blocks its event loop (health checks time out) and ignores SIGTERM
//   stubborn  like healthy, but ignores SIGTERM
//   silent    serves /healthz but never reports ready
//   config    writes a configuration error and exits with code 78
// VIGIL_TEST_GRANDCHILD=1 starts a long `sleep`, =ffmpeg a real ffmpeg encoding a test pattern.
// VIGIL_TEST_REPORT_CHILDREN=1 reports the grandchild's pid to the supervisor, as the real backend does.
// GET /api/export/case-7/download serves a small file for the session token (401 without it).
// VIGIL_TEST_ENV_DUMP=<file> writes the environment variable names there.
// Like the real backend it talks to its supervisor over process.send (a forked child) or process.parentPort (an
// Electron utilityProcess), and a { type: 'stop' } message stops it as SIGTERM does.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';

const counterFile = process.env.VIGIL_TEST_COUNTER;
let run = 0;
if (counterFile) {
  run = fs.existsSync(counterFile) ? Number(fs.readFileSync(counterFile, 'utf8')) : 0;
  fs.writeFileSync(counterFile, String(run + 1));
}
const modes = (process.env.VIGIL_TEST_MODES ?? 'healthy').split(',');
const mode = modes[Math.min(run, modes.length - 1)];
if (process.env.VIGIL_TEST_ENV_DUMP) {
  fs.writeFileSync(process.env.VIGIL_TEST_ENV_DUMP, JSON.stringify(Object.keys(process.env)));
}
console.log(`fake backend run ${run}: ${mode} (pid ${process.pid}, cwd ${process.cwd()})`);
const parentPort = process.parentPort;
console.log(parentPort ? 'talking over process.parentPort' : 'talking over process.send');
const post = (message) => (parentPort ? parentPort.postMessage(message) : process.send?.(message));
const onSupervisorMessage = (listener) => {
  if (parentPort) parentPort.on('message', (e) => listener(e.data));
  else process.on('message', listener);
};

if (mode === 'crash') {
  console.error('fatal: the event database is corrupt');
  setTimeout(() => process.exit(1), 50);
} else if (mode === 'config') {
  console.error('config.yaml: cameras[0].main.url: expected rtsp://, got "ftp://x"');
  setTimeout(() => process.exit(78), 20);
} else {
  const kind = process.env.VIGIL_TEST_GRANDCHILD;
  const grandchild =
    kind === 'ffmpeg'
      ? spawn(
          process.env.FFMPEG_PATH || 'ffmpeg',
          [
            '-hide_banner',
            '-loglevel',
            'error',
            '-re',
            '-f',
            'lavfi',
            '-i',
            'testsrc=size=64x48:rate=5',
            '-f',
            'null',
            '-',
          ],
          { stdio: 'ignore' },
        )
      : kind === '1'
        ? spawn('sleep', ['600'], { stdio: 'ignore' })
        : undefined;
  if (grandchild) console.log(`grandchild ${grandchild.pid}`);
  if (grandchild && process.env.VIGIL_TEST_REPORT_CHILDREN)
    post({ type: 'children', pids: [grandchild.pid] });
  const server = http.createServer((req, res) => {
    // Like the real backend: the bearer token opens a browser session whose id goes in a cookie.
    if (req.method === 'POST' && req.url === '/api/auth/session') {
      const ok = req.headers.authorization === `Bearer ${process.env.VIGIL_API_TOKEN}`;
      const id = randomBytes(32).toString('base64url');
      res.writeHead(
        ok ? 204 : 401,
        ok ? { 'set-cookie': `vigil_session=${id}; HttpOnly; SameSite=Strict; Path=/` } : {},
      );
      res.end();
      return;
    }
    if (req.url === '/api/export/case-7/download') {
      // Like the real API: a file only for the session token.
      const ok = req.headers.authorization === `Bearer ${process.env.VIGIL_API_TOKEN}`;
      res.writeHead(ok ? 200 : 401, { 'content-type': ok ? 'application/zip' : 'application/json' });
      res.end(ok ? 'PK-evidence-export-case-7' : '{"message":"unauthorized"}');
      return;
    }
    res.writeHead(req.url === '/healthz' ? 200 : 404, { 'content-type': 'application/json' });
    res.end('{"status":"ok"}');
  });
  server.listen(0, '127.0.0.1', () => {
    const { port } = server.address();
    if (mode !== 'silent')
      post({ type: 'ready', url: `http://127.0.0.1:${port}`, token: process.env.VIGIL_API_TOKEN });
    if (mode === 'hang') {
      setTimeout(() => {
        const until = Date.now() + 120_000;
        while (Date.now() < until) {
          // Busy: no health answers, no signal handling.
        }
      }, 100);
    }
    if (mode === 'crashlate') setTimeout(() => process.exit(1), 300);
  });
  const stop = (why) => {
    if (mode === 'stubborn' || mode === 'hang') {
      console.log(`ignoring ${why}`);
      return;
    }
    console.log(`stopping on ${why}`);
    // Like the real backend: its ffmpeg is stopped and reaped before it exits.
    const reaped =
      grandchild && grandchild.exitCode === null && grandchild.signalCode === null
        ? new Promise((r) => grandchild.once('exit', r))
        : Promise.resolve();
    grandchild?.kill('SIGTERM');
    Promise.all([reaped, new Promise((r) => server.close(r))]).then(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  onSupervisorMessage((m) => {
    if (m?.type === 'stop') stop('the stop message');
  });
  process.on('disconnect', () => {});
}
