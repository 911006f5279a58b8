import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, request } from '../renderer/src/lib/api-client.js';

// The renderer's API client against a real HTTP server (Node's fetch is the same WHATWG fetch the browser has).
// It lives here because renderer files may not import Node modules.
describe('one result shape for every call (a real HTTP server)', () => {
  let server: http.Server;
  let base = '';
  const seen: Array<{ method?: string; url?: string; type?: string; body: string }> = [];
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, type: req.headers['content-type'], body });
        const json = (status: number, value: unknown) =>
          res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
        if (req.url === '/ok') return json(200, { hello: 'world' });
        if (req.url === '/empty') return res.writeHead(204).end();
        if (req.url === '/refused')
          return json(400, { error: 'bad_request', message: 'main.url: an rtsp:// URL', field: 'main.url' });
        if (req.url === '/gone') return json(404, { error: 'not_found', message: 'No camera "x".' });
        if (req.url === '/html-error') return res.writeHead(502, { 'content-type': 'text/html' }).end('<h1>');
        return res.writeHead(404).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('gives the data of a good answer, and undefined for an empty one', async () => {
    expect(await api.get(`${base}/ok`)).toEqual({ ok: true, data: { hello: 'world' } });
    expect(await api.del(`${base}/empty`)).toEqual({ ok: true, data: undefined });
  });

  it("gives the backend's own words and the field a refusal is about", async () => {
    expect(await api.put(`${base}/refused`, { name: 'x' })).toEqual({
      ok: false,
      status: 400,
      notAvailable: false,
      message: 'main.url: an rtsp:// URL',
      field: 'main.url',
    });
    expect(seen.at(-1)).toMatchObject({ method: 'PUT', type: 'application/json', body: '{"name":"x"}' });
  });

  it('marks a missing route as not available, with the reason when the backend gave one', async () => {
    expect(await api.get(`${base}/gone`)).toEqual({
      ok: false,
      status: 404,
      notAvailable: true,
      message: 'No camera "x".',
    });
    expect(await api.get(`${base}/nowhere`)).toMatchObject({
      notAvailable: true,
      message: 'Not available on this backend.',
    });
    expect(await request('GET', `${base}/html-error`)).toEqual({
      ok: false,
      status: 502,
      notAvailable: false,
      message: 'The backend answered 502.',
    });
  });

  it('sends POST with an empty JSON body by default and says when the backend is not reachable', async () => {
    await api.post(`${base}/ok`);
    expect(seen.at(-1)).toMatchObject({ method: 'POST', body: '{}' });
    await request('POST', `${base}/ok`);
    expect(seen.at(-1)).toMatchObject({ method: 'POST', body: '', type: undefined });
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    expect(await api.get(`http://127.0.0.1:${port}/x`)).toEqual({
      ok: false,
      status: 0,
      notAvailable: false,
      message: 'The backend is not reachable.',
    });
  });
});
