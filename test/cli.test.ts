import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { childPids } from './helpers/leaks.js';
import { runCli, spawnBackend, tempHome, type BackendProcess } from './fixtures/backend.js';

let backend: BackendProcess | undefined;
afterEach(async () => {
  await backend?.stop();
  backend = undefined;
});

function writeConfig(text: string): string {
  const file = path.join(tempHome(), 'config.yaml');
  fs.writeFileSync(file, text);
  return file;
}

describe('vigil backend process', () => {
  it('starts on defaults, answers /healthz with 200 and prints a login link', async () => {
    backend = await spawnBackend({ cameras: [] });
    const res = await fetch(`${backend.url}/healthz`);
    expect(res.status).toBe(200);
    expect(backend.output()).toMatch(/http:\/\/127\.0\.0\.1:\d+\/login\?code=/);
    expect(backend.output()).toContain('TensorFlow.js:');
  });

  it('stops within 5 s on SIGTERM and leaves no child process behind', async () => {
    backend = await spawnBackend({ cameras: [] });
    const pid = backend.proc.pid;
    const stopped = await backend.stop();
    expect(stopped.code).toBe(0);
    expect(stopped.ms).toBeLessThan(5000);
    expect(fs.existsSync(`/proc/${pid}`)).toBe(false);
    expect(childPids(pid)).toEqual([]);
  });

  it('exits non-zero naming the key when the config has an unknown key', async () => {
    const file = writeConfig('server:\n  host: 127.0.0.1\n  colour: blue\n');
    const { code, output } = await runCli(['--config', file]);
    expect(code).toBe(78);
    expect(output).toContain('server.colour: unknown key');
    expect(output).not.toContain('API listening');
  });

  it('exits non-zero naming the key, value and expected type for a wrong type', async () => {
    const file = writeConfig(
      'cameras:\n  - id: dock\n    name: Dock\n    main: { kind: rtsp, url: rtsp://x/y }\n    record: maybe\n',
    );
    const { code, output } = await runCli(['--config', file]);
    expect(code).toBe(78);
    expect(output).toContain('cameras[0].record: got "maybe"; expected boolean');
  });

  it('without any ffmpeg, exits with a message saying how to install one', async () => {
    const { code, output } = await runCli(['--port', '0'], { FFMPEG_PATH: '/nonexistent/ffmpeg' });
    expect(code).toBe(69);
    expect(output).toContain('Vigil needs ffmpeg');
    expect(output).toContain('apt-get install ffmpeg');
  });
});
