import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { WebSocket } from 'ws';
import { Topics } from '../../backend/src/contract/bus.js';
import { VigilConfig, type VigilConfigInput } from '../../backend/src/contract/config.js';
import type { VigilAlert, VigilEvent } from '../../backend/src/contract/events.js';
import { inspectRuntime } from '../../backend/src/platform/binaries.js';
import { startLocalApp, type RunningApp } from '../../backend/src/roles/local.js';

/** The built UI stand-in every security test serves: a page whose shell text the tests recognise. */
export const UI_SHELL = '<!doctype html><title>Vigil</title><div id="root"></div>';

/** A whole local backend (every route module, no camera, so no ffmpeg) in a fresh data folder. */
export async function startSecuredApp(config: VigilConfigInput = {}): Promise<{
  app: RunningApp;
  dispose(): Promise<void>;
}> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-security-'));
  const rendererDir = path.join(dataDir, 'renderer');
  fs.mkdirSync(rendererDir);
  fs.writeFileSync(path.join(rendererDir, 'index.html'), UI_SHELL);
  fs.mkdirSync(path.join(rendererDir, 'assets'));
  fs.writeFileSync(path.join(rendererDir, 'assets', 'app.js'), 'console.log("vigil");');
  const app = await startLocalApp({
    config: VigilConfig.parse({ server: { port: 0 }, cameras: [], ...config }),
    dataDir,
    runtime: inspectRuntime(),
    rendererDir,
  });
  return {
    app,
    dispose: async () => {
      await app.dispose();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** An answer as it came off the wire. */
export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Decodes a chunked HTTP body. */
function unchunk(raw: string): string {
  let out = '';
  let rest = raw;
  for (;;) {
    const eol = rest.indexOf('\r\n');
    if (eol < 0) return out;
    const size = parseInt(rest.slice(0, eol), 16);
    if (!(size > 0)) return out;
    out += rest.slice(eol + 2, eol + 2 + size);
    rest = rest.slice(eol + 2 + size + 2);
  }
}

/**
 * One HTTP/1.1 request written on a plain socket, its path byte for byte as given: fetch(), URL and even
 * http.request normalise or refuse some of the spellings under test (dot segments, backslashes, a path that does
 * not start with "/"), which would hide exactly what an attacker sends.
 */
export function rawRequest(
  base: string,
  method: string,
  rawPath: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<RawAnswer> {
  const url = new URL(base);
  const all: Record<string, string> = {
    host: url.host,
    connection: 'close',
    ...(body !== undefined
      ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }
      : {}),
    ...headers,
  };
  const head = `${method} ${rawPath} HTTP/1.1\r\n${Object.entries(all)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}\r\n`;
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(url.port), url.hostname, () => socket.write(head + (body ?? '')));
    const chunks: Buffer[] = [];
    socket.setTimeout(10_000, () => socket.destroy(new Error(`no answer to ${method} ${rawPath}`)));
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      const lines = (split < 0 ? text : text.slice(0, split)).split('\r\n');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1] ?? 0);
      const parsed: Record<string, string> = {};
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        if (colon > 0) parsed[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      const rawBody = split < 0 ? '' : text.slice(split + 4);
      resolve({
        status,
        headers: parsed,
        body: parsed['transfer-encoding'] === 'chunked' ? unchunk(rawBody) : rawBody,
      });
    });
  });
}

/** Outcome of a WebSocket upgrade: opened, or refused with an HTTP status. */
export function tryUpgrade(
  base: string,
  rawPath: string,
  headers: Record<string, string> = {},
): Promise<{ opened: true; firstMessage?: string } | { opened: false; status: number }> {
  const url = `${base.replace(/^http/, 'ws')}${rawPath}`;
  return new Promise((resolve, reject) => {
    let ws: WebSocket;
    try {
      ws = new WebSocket(url, { headers });
    } catch {
      // ws refuses to send some raw paths at all (e.g. with a space); nothing reached the server.
      resolve({ opened: false, status: 0 });
      return;
    }
    ws.once('unexpected-response', (req, res) => {
      req.destroy();
      resolve({ opened: false, status: res.statusCode ?? 0 });
    });
    ws.once('open', () => {
      ws.close();
      resolve({ opened: true });
    });
    ws.once('error', (err) => reject(err));
  });
}

/** Puts an event and a new alert for it in the store (through the bus, as detection does); the alert. */
export async function raiseAlert(app: RunningApp, id = 'sec-alert'): Promise<VigilAlert> {
  const now = Date.now();
  const event: VigilEvent = {
    id: `${id}-event`,
    cameraId: 'gate',
    label: 'person',
    phase: 'end',
    startTs: now - 2000,
    lastTs: now - 1000,
    endTs: now - 1000,
    topScore: 0.9,
    box: [0.1, 0.1, 0.3, 0.6],
    zones: [],
    path: [],
  };
  const alert: VigilAlert = {
    id,
    ruleId: 'r1',
    ruleName: 'Person at the gate',
    eventId: event.id,
    cameraId: 'gate',
    label: 'person',
    severity: 'critical',
    state: 'new',
    raisedTs: now - 1500,
  };
  await app.bus.publish(Topics.events, event.cameraId, event);
  await app.bus.publish(Topics.alerts, alert.cameraId, alert);
  await app.bus.drain();
  return alert;
}

/** The state of an alert, read with the bearer token. */
export async function alertState(app: RunningApp, id: string): Promise<string> {
  const res = await fetch(`${app.url}/api/alerts?limit=500`, {
    headers: { authorization: `Bearer ${app.auth.token}` },
  });
  const body = (await res.json()) as VigilAlert[] | { items: VigilAlert[] };
  const list = Array.isArray(body) ? body : body.items;
  const alert = list.find((a) => a.id === id);
  if (!alert) throw new Error(`alert ${id} not in the store`);
  return alert.state;
}
