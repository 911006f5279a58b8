import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipWithout } from '../../../test/fixtures/require.js';
import { VigilConfig } from '../contract/config.js';
import { kafkaOptions } from '../bus/create.js';
import { createCache } from '../cache/create.js';
import { createEsEventStore } from '../store-es/create.js';
import { ClusterSetupError, readSecret, readSecretFile, tlsOptions } from './secrets.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-secrets-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const p = path.join(dir, name);
  fs.writeFileSync(p, text);
  return p;
};
const cluster = (c: object) => VigilConfig.parse({ cameras: [], cluster: c }).cluster;

describe('secret reader', () => {
  it('reads a secret from the variable a field names, and names both when it is missing', () => {
    expect(readSecret('cluster.redis.passwordEnv', 'R_PASS', { R_PASS: 'pw' })).toBe('pw');
    expect(readSecret('cluster.redis.passwordEnv', undefined, {})).toBeUndefined();
    expect(() => readSecret('cluster.redis.passwordEnv', 'R_PASS', { R_PASS: '' })).toThrow(
      new ClusterSetupError('cluster.redis.passwordEnv: environment variable R_PASS is not set'),
    );
  });

  it('reads a token file again at every call, so a token refreshed in place is used', async () => {
    const token = file('token', 'first\n');
    const opts = kafkaOptions(
      cluster({
        bus: { kind: 'kafka', brokers: ['k:9093'], sasl: { mechanism: 'oauthbearer', tokenFile: token } },
      }).bus,
      'detect',
    );
    expect(opts.sasl?.mechanism).toBe('oauthbearer');
    const provider = opts.sasl as { token: () => Promise<string> };
    expect(await provider.token()).toBe('first');
    fs.writeFileSync(token, 'second');
    expect(await provider.token()).toBe('second');
    fs.writeFileSync(token, '');
    await expect(readSecretFile('cluster.bus.sasl.tokenFile', token)).rejects.toThrow(/is empty/);
  });

  it('refuses an OAUTHBEARER setup without a token, and a token file it cannot read, at start', () => {
    const bus = (sasl: object) => cluster({ bus: { kind: 'kafka', brokers: ['k:9093'], sasl } }).bus;
    expect(() => kafkaOptions(bus({ mechanism: 'oauthbearer' }), 'api', {})).toThrow(
      'cluster.bus.sasl: mechanism oauthbearer needs tokenFile or tokenEnv',
    );
    expect(() =>
      kafkaOptions(bus({ mechanism: 'oauthbearer', tokenFile: path.join(dir, 'missing') }), 'api', {}),
    ).toThrow(/cluster\.bus\.sasl\.tokenFile: cannot read/);
    const fromEnv = kafkaOptions(bus({ mechanism: 'oauthbearer', tokenEnv: 'K_TOKEN' }), 'api', {
      K_TOKEN: 'tok',
    });
    return expect((fromEnv.sasl as { token: () => Promise<string> }).token()).resolves.toBe('tok');
  });

  it('builds TLS options for Kafka and Redis from the CA and client certificate files, and refuses half a pair', () => {
    const ca = file('ca.pem', 'CA');
    const cert = file('cert.pem', 'CERT');
    const key = file('key.pem', 'KEY');
    const bus = cluster({
      bus: {
        kind: 'kafka',
        brokers: ['k:9093'],
        tls: { enabled: true, caFile: ca, certFile: cert, keyFile: key },
      },
    }).bus;
    expect(kafkaOptions(bus, 'events').ssl).toEqual({
      ca: 'CA',
      cert: 'CERT',
      key: 'KEY',
      rejectUnauthorized: true,
    });
    expect(
      kafkaOptions(cluster({ bus: { kind: 'kafka', brokers: ['k:9093'], tls: { enabled: true } } }).bus, 'x')
        .ssl,
    ).toBe(true);
    expect(() => tlsOptions('cluster.redis.tls', { certFile: cert })).toThrow(
      'cluster.redis.tls: set both certFile and keyFile for a client certificate',
    );

    const config = VigilConfig.parse({
      cameras: [],
      cluster: {
        redis: {
          url: 'rediss://redis.example:6380',
          usernameEnv: 'R_USER',
          passwordEnv: 'R_PASS',
          tls: { caFile: ca },
        },
      },
    });
    expect(createCache(config, { R_USER: 'vigil-api', R_PASS: 'pw' })?.redis).toMatchObject({
      username: 'vigil-api',
      password: 'pw',
      tls: { ca: 'CA', rejectUnauthorized: true },
    });
    // A redis:// URL never gets TLS options.
    const plain = VigilConfig.parse({ cameras: [], cluster: { redis: { url: 'redis://r:6379' } } });
    expect(createCache(plain, {})?.redis).not.toHaveProperty('tls');
  });
});

const noOpenssl = skipWithout(
  'openssl',
  spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0,
  'sudo apt-get install openssl',
);

describe.skipIf(noOpenssl)(
  'Elasticsearch over TLS with a private CA (a local HTTPS server, openssl certificates)',
  () => {
    let server: https.Server;
    let url = '';
    let caFile = '';
    const seen: Array<string | undefined> = [];
    beforeAll(async () => {
      // A private CA and a server certificate for 127.0.0.1 signed by it.
      const run = (args: string[]) => {
        const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
        if (r.status !== 0) throw new Error(r.stderr);
      };
      run([
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        'ca.key',
        '-out',
        'ca.crt',
        '-days',
        '1',
        '-subj',
        '/CN=Vigil test CA',
      ]);
      run([
        'req',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        'srv.key',
        '-out',
        'srv.csr',
        '-subj',
        '/CN=127.0.0.1',
      ]);
      fs.writeFileSync(path.join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
      run([
        'x509',
        '-req',
        '-in',
        'srv.csr',
        '-CA',
        'ca.crt',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-out',
        'srv.crt',
        '-days',
        '1',
        '-extfile',
        'san.ext',
      ]);
      caFile = path.join(dir, 'ca.crt');
      server = https.createServer(
        { key: fs.readFileSync(path.join(dir, 'srv.key')), cert: fs.readFileSync(path.join(dir, 'srv.crt')) },
        (req, res) => {
          seen.push(req.headers.authorization);
          // Elasticsearch's answer to a policy or template PUT (the client checks the product header).
          res.writeHead(200, { 'content-type': 'application/json', 'x-elastic-product': 'Elasticsearch' });
          res.end(JSON.stringify({ acknowledged: true }));
        },
      );
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      server?.closeAllConnections();
      await new Promise((r) => server?.close(r));
    });

    const store = (eventStore: object) =>
      createEsEventStore(
        cluster({
          eventStore: {
            kind: 'elasticsearch',
            node: url,
            usernameEnv: 'ES_USER',
            passwordEnv: 'ES_PASS',
            ...eventStore,
          },
        }).eventStore,
        dir,
        undefined,
        { ES_USER: 'vigil_api', ES_PASS: 'pw' },
      );

    it('trusts the server through caFile and sends the user from the environment; refuses it without', async () => {
      // setup() installs the ILM policy and the index templates: every request reaches the server, with the user.
      await store({ caFile }).setup();
      expect(seen.length).toBeGreaterThanOrEqual(2);
      expect(new Set(seen)).toEqual(new Set([`Basic ${Buffer.from('vigil_api:pw').toString('base64')}`]));
      const before = seen.length;
      await expect(store({}).setup()).rejects.toThrow(/certificate/i);
      expect(seen.length).toBe(before); // nothing was sent to an unverified server
    });
  },
);
