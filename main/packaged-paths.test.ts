import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  asarUnpackedPath,
  backendWorkingDirectory,
  bundledFfmpeg,
  checkBinaryRuns,
  isInsideAsar,
} from './packaged-paths.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const FFMPEG =
  process.env.FFMPEG_PATH ||
  (process.env.PATH ?? '')
    .split(path.delimiter)
    .map((dir) => path.join(dir, 'ffmpeg'))
    .find((p) => fs.existsSync(p));
if (!FFMPEG) throw new Error('ffmpeg is needed by these tests: sudo apt-get install ffmpeg');

/**
 * An installed app as electron-builder lays it out: resources/app.asar is one file (the archive), and what
 * `asarUnpack` lists is in resources/app.asar.unpacked with the same relative paths (docs/tutorial/asar-archives.md).
 */
function installed(withUnpackedFfmpeg: boolean) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-install-'));
  dirs.push(dir);
  const resources = path.join(dir, 'resources');
  fs.mkdirSync(resources);
  fs.writeFileSync(path.join(resources, 'app.asar'), 'archive');
  const reported = path.join(resources, 'app.asar', 'node_modules', 'ffmpeg-static', 'ffmpeg');
  if (withUnpackedFfmpeg) {
    const unpacked = path.join(resources, 'app.asar.unpacked', 'node_modules', 'ffmpeg-static');
    fs.mkdirSync(unpacked, { recursive: true });
    fs.copyFileSync(FFMPEG!, path.join(unpacked, 'ffmpeg'));
    fs.chmodSync(path.join(unpacked, 'ffmpeg'), 0o755);
  }
  return { dir, resources, reported, userData: path.join(dir, 'user-data') };
}

describe('paths in the packaged app', () => {
  it('knows asar paths and their unpacked twins, on POSIX and Windows separators', () => {
    expect(isInsideAsar('/opt/Vigil/resources/app.asar')).toBe(true);
    expect(isInsideAsar('/opt/Vigil/resources/app.asar/dist/x.js')).toBe(true);
    expect(
      isInsideAsar('C:\\Program Files\\Vigil\\resources\\app.asar\\node_modules\\ffmpeg-static\\ffmpeg.exe'),
    ).toBe(true);
    expect(isInsideAsar('/opt/Vigil/resources/app.asar.unpacked/x')).toBe(false);
    expect(isInsideAsar('/opt/dev/vigil')).toBe(false);
    expect(asarUnpackedPath('/opt/Vigil/resources/app.asar/node_modules/ffmpeg-static/ffmpeg')).toBe(
      '/opt/Vigil/resources/app.asar.unpacked/node_modules/ffmpeg-static/ffmpeg',
    );
    expect(asarUnpackedPath('C:\\Vigil\\resources\\app.asar\\node_modules\\ffmpeg-static\\ffmpeg.exe')).toBe(
      'C:\\Vigil\\resources\\app.asar.unpacked\\node_modules\\ffmpeg-static\\ffmpeg.exe',
    );
    expect(asarUnpackedPath('/usr/bin/ffmpeg')).toBe('/usr/bin/ffmpeg');
  });

  it('the backend runs in a real folder: the user data folder when the app path is app.asar, else the app folder', () => {
    const { resources, userData } = installed(false);
    const cwd = backendWorkingDirectory(path.join(resources, 'app.asar'), userData);
    expect(cwd).toBe(userData);
    expect(fs.statSync(cwd).isDirectory()).toBe(true);
    expect(backendWorkingDirectory('/opt/dev/vigil', userData)).toBe('/opt/dev/vigil');
  });

  it("ffmpeg-static's binary is taken from app.asar.unpacked and checked to run (real ffmpeg)", async () => {
    const { reported } = installed(true);
    // The path the module reports cannot be executed: app.asar is a file, not a folder.
    expect((await checkBinaryRuns(reported)).ok).toBe(false);
    const found = await bundledFfmpeg(() => reported);
    expect(found.path).toBe(asarUnpackedPath(reported));
    expect(found.report).toMatch(/ffmpeg version/);
  });

  it('falls back to the system ffmpeg, saying why, when the bundled one is missing, broken or not installed', async () => {
    const missing = installed(false);
    const a = await bundledFfmpeg(() => missing.reported);
    expect(a.path).toBeUndefined();
    expect(a.report).toContain('does not run');
    expect(a.report).toContain('the system ffmpeg will be used');

    const broken = installed(true);
    fs.writeFileSync(asarUnpackedPath(broken.reported), 'not a program');
    const b = await bundledFfmpeg(() => broken.reported);
    expect(b.path).toBeUndefined();

    const c = await bundledFfmpeg(() => {
      throw new Error("Cannot find module 'ffmpeg-static'");
    });
    expect(c).toEqual({ report: 'ffmpeg-static is not bundled: the system ffmpeg will be used' });
  });
});
