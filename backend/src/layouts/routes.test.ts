import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempPeople } from '../../../test/fixtures/people.js';
import { SessionAuth } from '../api/auth.js';
import { ApiServer } from '../api/server.js';
import { LayoutStore } from './layout-store.js';
import { layoutRoutes } from './routes.js';

let server: ApiServer | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await server?.dispose();
  server = undefined;
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

async function start(file: string) {
  const auth = new SessionAuth();
  const store = new LayoutStore(file);
  store.load();
  server = new ApiServer({
    host: '127.0.0.1',
    port: 0,
    auth,
    people: tempPeople(),
    mode: 'local',
    routes: [layoutRoutes(store)],
  });
  await server.start();
  const url = server.url;
  const call = (method: string, p: string, body?: unknown) =>
    fetch(`${url}${p}`, {
      method,
      headers: {
        authorization: `Bearer ${auth.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  return { url, call };
}

function tempFile(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-layouts-'));
  dirs.push(dir);
  return path.join(dir, 'ui', 'layouts.json');
}

describe('named wall layouts API', () => {
  it('saves, lists, replaces and deletes layouts, and keeps them across a restart', async () => {
    const file = tempFile();
    let { call } = await start(file);
    const lobby = { kind: '2x2', tiles: ['gate', null, 'lobby', null] };
    const put = await call('PUT', `/api/layouts/${encodeURIComponent('Night shift')}`, lobby);
    expect(put.status).toBe(200);
    expect(await put.json()).toMatchObject({
      name: 'Night shift',
      layout: lobby,
      updatedAt: expect.any(Number),
    });
    await call('PUT', '/api/layouts/Day', { kind: '1x1', tiles: ['gate'] });
    await call('PUT', '/api/layouts/Day', { kind: '1x1', tiles: ['lobby'] });
    const list = (await (await call('GET', '/api/layouts')).json()) as Array<{
      name: string;
      layout: unknown;
    }>;
    expect(list.map((l) => l.name)).toEqual(['Day', 'Night shift']);
    expect(list[0]?.layout).toEqual({ kind: '1x1', tiles: ['lobby'] });

    // Another backend process on the same data folder sees them.
    await server?.dispose();
    ({ call } = await start(file));
    expect(
      (await (await call('GET', `/api/layouts/${encodeURIComponent('Night shift')}`)).json()).layout,
    ).toEqual(lobby);
    expect((await call('DELETE', '/api/layouts/Day')).status).toBe(204);
    expect((await call('DELETE', '/api/layouts/Day')).status).toBe(404);
    expect((await call('GET', '/api/layouts/Day')).status).toBe(404);
    expect(((await (await call('GET', '/api/layouts')).json()) as unknown[]).length).toBe(1);
  });

  it('rejects a layout whose tiles do not fit its grid with a message, and keeps the saved ones', async () => {
    const { call } = await start(tempFile());
    await call('PUT', '/api/layouts/Ok', { kind: '1x1', tiles: ['gate'] });
    const bad = await call('PUT', '/api/layouts/Bad', { kind: '2x2', tiles: ['gate'] });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toMatch(/one entry per tile/);
    const unknownKind = await call('PUT', '/api/layouts/Bad', { kind: '5x5', tiles: [] });
    expect(unknownKind.status).toBe(400);
    const blank = await call('PUT', '/api/layouts/%20', { kind: '1x1', tiles: [null] });
    expect(blank.status).toBe(400);
    expect(
      ((await (await call('GET', '/api/layouts')).json()) as Array<{ name: string }>).map((l) => l.name),
    ).toEqual(['Ok']);
  });

  it('refuses callers without the session token', async () => {
    const { url } = await start(tempFile());
    expect((await fetch(`${url}/api/layouts`)).status).toBe(401);
    expect(
      (
        await fetch(`${url}/api/layouts/x`, {
          method: 'PUT',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ kind: '1x1', tiles: [null] }),
        })
      ).status,
    ).toBe(401);
  });

  it('starts without layouts when the file is damaged, instead of failing', async () => {
    const file = tempFile();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '{ not json');
    const { call } = await start(file);
    expect(await (await call('GET', '/api/layouts')).json()).toEqual([]);
    // The damaged file is kept aside for a person to look at, not overwritten by the next save.
    expect((await call('PUT', '/api/layouts/New', { kind: '1x1', tiles: [null] })).status).toBe(200);
    const aside = fs.readdirSync(path.dirname(file)).filter((f) => f.startsWith('layouts.json.damaged-'));
    expect(aside).toHaveLength(1);
    expect(fs.readFileSync(path.join(path.dirname(file), aside[0] ?? ''), 'utf8')).toBe('{ not json');
  });
});
