import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { VigilConfig } from '../contract/config.js';
import { ApiRoutes } from '../contract/api.js';
import { inspectRuntime } from '../platform/binaries.js';
import { startLocalApp } from './local.js';

/**
 * Renders docs/openapi.json: the OpenAPI document of every route the local backend registers, taken from a
 * backend started on a free port with no cameras and a throw-away data folder.
 */
export async function renderOpenApiDocument(): Promise<string> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-openapi-'));
  const config = VigilConfig.parse({ server: { host: '127.0.0.1', port: 0 }, cameras: [] });
  const app = await startLocalApp({ config, dataDir, runtime: inspectRuntime(), rendererDir: dataDir });
  try {
    const res = await fetch(`${app.url}${ApiRoutes.openapi}`, {
      headers: { authorization: `Bearer ${app.auth.token}` },
    });
    if (!res.ok) throw new Error(`GET ${ApiRoutes.openapi} answered ${res.status}`);
    return `${JSON.stringify(await res.json(), null, 2)}\n`;
  } finally {
    await app.dispose();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
