import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { VigilConfig } from '../contract/config.js';
import { ConfigError, loadConfig, parseConfig } from './config-loader.js';

function problemsOf(input: unknown): string {
  try {
    parseConfig(input, 'test.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).message;
  }
  throw new Error('config was accepted');
}

describe('configuration', () => {
  it('defaults to one site with the demo camera playing the bundled footage', () => {
    const config = parseConfig({});
    expect(config.server).toMatchObject({ host: '127.0.0.1', port: 8470, publicNames: [] });
    expect(config.cameras).toHaveLength(1);
    expect(config.cameras[0]).toMatchObject({
      id: 'demo-plaza',
      name: 'Demo plaza',
      main: { kind: 'file', path: 'assets/demo/vtest-h264.mp4', loop: true },
      analysis: { fps: 5 },
    });
  });

  it('rejects an unknown key, naming its path and the keys allowed there', () => {
    const msg = problemsOf({ server: { host: '127.0.0.1', prot: 80 } });
    expect(msg).toContain('server.prot: unknown key');
    expect(msg).toContain('allowed here: host, port');
  });

  it('rejects an unknown key inside a camera source', () => {
    const msg = problemsOf({
      cameras: [
        { id: 'dock', name: 'Dock', main: { kind: 'rtsp', url: 'rtsp://10.0.0.5/s', password: 'x' } },
      ],
    });
    expect(msg).toContain('cameras[0].main.password: unknown key');
    expect(msg).toContain('passwordEnv');
  });

  it('rejects a wrong type with the key path, the bad value and what is expected', () => {
    const msg = problemsOf({ server: { port: 'eighty' } });
    expect(msg).toContain('server.port: got "eighty"');
    expect(msg).toContain('expected number, received string');
  });

  it('lists the allowed values of an enum', () => {
    const msg = problemsOf({ logging: { level: 'loud' } });
    expect(msg).toMatch(/logging\.level: got "loud"; allowed: "fatal", "error"/);
  });

  it('rejects duplicate camera ids and out-of-range values', () => {
    const cam = { id: 'a', name: 'A', main: { kind: 'testPattern' } };
    expect(problemsOf({ cameras: [cam, cam] })).toContain('camera ids must be unique');
    expect(problemsOf({ cameras: [{ ...cam, analysis: { fps: 500 } }] })).toContain(
      'cameras[0].analysis.fps: got 500',
    );
  });

  it('loads YAML from --config and resolves dataDir next to it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-cfg-'));
    const file = path.join(dir, 'site.yaml');
    fs.writeFileSync(file, 'dataDir: store\nserver:\n  port: 9000\ncameras: []\n');
    const loaded = loadConfig({ configPath: file, env: { VIGIL_HOME: dir } });
    expect(loaded.config.server.port).toBe(9000);
    expect(loaded.config.cameras).toEqual([]);
    expect(loaded.dataDir).toBe(path.join(dir, 'store'));
    expect(loaded.source).toBe(file);
  });

  it('finds config.yaml in the application data folder when no --config is given', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-home-'));
    fs.writeFileSync(path.join(dir, 'config.yaml'), 'logging: { level: debug }\n');
    const loaded = loadConfig({ env: { VIGIL_HOME: dir } });
    expect(loaded.config.logging.level).toBe('debug');
    expect(loaded.dataDir).toBe(path.join(dir, 'data'));
  });

  it('reports a missing file and invalid YAML clearly', () => {
    expect(() => loadConfig({ configPath: '/nonexistent/vigil.yaml' })).toThrow(/Config file not found/);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-bad-'));
    fs.writeFileSync(path.join(dir, 'bad.yaml'), 'server: [unclosed\n');
    expect(() => loadConfig({ configPath: path.join(dir, 'bad.yaml') })).toThrow(/not valid YAML/);
  });

  it('gives every field a description', () => {
    const missing: string[] = [];
    const walk = (s: Record<string, unknown>, at: string) => {
      const props = (s.properties ?? {}) as Record<string, Record<string, unknown>>;
      for (const [k, v] of Object.entries(props)) {
        if (!v.description) missing.push(`${at}${k}`);
        walk(v, `${at}${k}.`);
        const items = v.items as Record<string, unknown> | undefined;
        if (items) walk(items, `${at}${k}[].`);
        for (const variant of (v.oneOf ?? v.anyOf ?? items?.oneOf ?? []) as Record<string, unknown>[])
          walk(variant, `${at}${k}.`);
      }
    };
    walk(z.toJSONSchema(VigilConfig, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>, '');
    expect(missing).toEqual([]);
  });
});
