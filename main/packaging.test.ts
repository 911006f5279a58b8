import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..');
const require = createRequire(import.meta.url);
interface BuilderConfig {
  linux: { target: string[] };
  win: { target: { target: string }[] };
  mac: { target: { target: string }[] };
  npmRebuild: boolean;
  asarUnpack: string[];
  files: string[];
  electronVersion: string;
  afterPack: string;
}
const builder = YAML.parse(fs.readFileSync(path.join(ROOT, 'electron-builder.yml'), 'utf8')) as BuilderConfig;
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  main: string;
  optionalDependencies: Record<string, string>;
};
const afterPack = require(path.join(ROOT, builder.afterPack)) as ((context: unknown) => Promise<void>) & {
  executablePath(context: unknown): string;
};
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';

describe('packaging (electron-builder config; Electron itself cannot be downloaded here)', () => {
  it('builds AppImage + deb, NSIS and DMG, rebuilds native modules for Electron, and ships the compiled entry', () => {
    expect(builder.linux.target).toEqual(['AppImage', 'deb']);
    expect(builder.win.target.map((t) => t.target)).toEqual(['nsis']);
    expect(builder.mac.target.map((t) => t.target)).toEqual(['dmg']);
    expect(builder.npmRebuild).toBe(true);
    expect(builder.asarUnpack).toContain('**/*.node');
    expect(builder.files).toContain('!node_modules/electron/**');
    expect(pkg.main).toBe('dist/main/main/index.js');
    expect(builder.files).toContain('dist/main/**/*.js');
    expect(builder.files).toContain('dist/main/**/*.cjs');
    // The declared Electron version is within the optional dependency's range (same major).
    const range = String(pkg.optionalDependencies.electron);
    expect(String(builder.electronVersion).split('.')[0]).toBe(range.replace(/^[^\d]*/, '').split('.')[0]);
  });

  it('the afterPack hook flips the fuses in a packaged binary (real @electron/fuses on a stand-in binary)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-fuses-'));
    dirs.push(dir);
    const exe = path.join(dir, 'vigil');
    // Electron's defaults: RunAsNode on, cookie encryption off, NODE_OPTIONS on, --inspect on, asar integrity
    // off, only-load-from-asar off, browser V8 snapshot off, file:// privileges on, wasm trap handlers on.
    const wire = Buffer.from([1, 9, ...'101100011'.split('').map((c) => c.charCodeAt(0))]);
    fs.writeFileSync(
      exe,
      Buffer.concat([Buffer.alloc(4096, 7), Buffer.from(SENTINEL), wire, Buffer.alloc(512, 7)]),
    );
    const context = {
      appOutDir: dir,
      electronPlatformName: 'linux',
      arch: 1,
      packager: { appInfo: { productFilename: 'Vigil' }, executableName: 'vigil' },
    };
    expect(afterPack.executablePath(context)).toBe(exe);
    await afterPack(context);
    const { getCurrentFuseWire, FuseV1Options } = await import('@electron/fuses');
    const fuses = await getCurrentFuseWire(exe);
    const on = (o: number) => String.fromCharCode(fuses[o as keyof typeof fuses] as number);
    expect(on(FuseV1Options.RunAsNode)).toBe('0');
    expect(on(FuseV1Options.EnableNodeOptionsEnvironmentVariable)).toBe('0');
    expect(on(FuseV1Options.EnableNodeCliInspectArguments)).toBe('0');
    expect(on(FuseV1Options.EnableEmbeddedAsarIntegrityValidation)).toBe('1');
    expect(on(FuseV1Options.OnlyLoadAppFromAsar)).toBe('1');
    expect(on(FuseV1Options.EnableCookieEncryption)).toBe('1');
    expect(on(FuseV1Options.GrantFileProtocolExtraPrivileges)).toBe('0');
  });

  it('finds the executable on each platform', () => {
    const ctx = (platform: string) => ({
      appOutDir: '/out',
      electronPlatformName: platform,
      arch: 1,
      packager: { appInfo: { productFilename: 'Vigil' }, executableName: 'vigil' },
    });
    expect(afterPack.executablePath(ctx('darwin'))).toBe('/out/Vigil.app/Contents/MacOS/Vigil');
    expect(afterPack.executablePath(ctx('win32'))).toBe(path.join('/out', 'Vigil.exe'));
    expect(afterPack.executablePath(ctx('linux'))).toBe('/out/vigil');
  });
});
