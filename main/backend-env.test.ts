import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { forkNodeBackend } from './backend-child.js';
import { BackendSupervisor } from './backend-supervisor.js';
import { envNamesInConfig, sanitizeEnv } from './backend-env.js';

const FIXTURE = path.join(import.meta.dirname, 'test-fixtures', 'fake-backend.mjs');
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('backend environment', () => {
  it('passes system basics, VIGIL_* and the variables the config names, and nothing else', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-env-'));
    dirs.push(dir);
    const config = path.join(dir, 'config.yaml');
    fs.writeFileSync(
      config,
      'cameras:\n  - id: gate\n    main:\n      url: rtsp://cam/1\n      passwordEnv: GATE_CAM_PASSWORD\n',
    );
    expect(envNamesInConfig(config)).toEqual(['GATE_CAM_PASSWORD']);
    const env = sanitizeEnv(
      {
        PATH: '/usr/bin',
        LANG: 'de_DE.UTF-8',
        LC_TIME: 'de_DE.UTF-8',
        VIGIL_LOG_LEVEL: 'debug',
        VIGIL_API_TOKEN: 'inherited-token-must-not-pass',
        GATE_CAM_PASSWORD: 'hunter2',
        AWS_SECRET_ACCESS_KEY: 'nope',
        ELECTRON_RUN_AS_NODE: '1',
        NODE_OPTIONS: '--inspect',
        GITHUB_TOKEN: 'nope',
      },
      envNamesInConfig(config),
    );
    expect(env).toEqual({
      PATH: '/usr/bin',
      LANG: 'de_DE.UTF-8',
      LC_TIME: 'de_DE.UTF-8',
      VIGIL_LOG_LEVEL: 'debug',
      GATE_CAM_PASSWORD: 'hunter2',
    });
  });

  it('a real backend child sees only the sanitised variables and its own token', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-env-'));
    dirs.push(dir);
    const dump = path.join(dir, 'env.json');
    const env = sanitizeEnv({ ...process.env, AWS_SECRET_ACCESS_KEY: 'leak?', VIGIL_API_TOKEN: 'old' }, [
      'VIGIL_TEST_ENV_DUMP',
    ]);
    const supervisor = new BackendSupervisor({
      launch: forkNodeBackend,
      launchOptions: {
        modulePath: FIXTURE,
        args: [],
        cwd: dir,
        execArgv: [],
        env: { ...env, VIGIL_TEST_ENV_DUMP: dump },
      },
    });
    supervisor.start();
    try {
      const { token } = await supervisor.waitUntilRunning();
      expect(token).not.toBe('old');
      const names = JSON.parse(fs.readFileSync(dump, 'utf8')) as string[];
      expect(names).toContain('PATH');
      expect(names).toContain('VIGIL_API_TOKEN');
      expect(names).not.toContain('AWS_SECRET_ACCESS_KEY');
      expect(
        names.filter(
          (n) =>
            !/^(PATH|HOME|USER|LOGNAME|SHELL|LANG|LANGUAGE|TZ|TMPDIR|LC_.*|XDG_.*|VIGIL_.*|VIGIL_TEST_ENV_DUMP|FFMPEG_PATH|FFPROBE_PATH|CHROMIUM_PATH|NODE_CHANNEL_FD|NODE_CHANNEL_SERIALIZATION_MODE)$/.test(
              n,
            ),
        ),
      ).toEqual([]);
    } finally {
      await supervisor.stop();
    }
  });
});
