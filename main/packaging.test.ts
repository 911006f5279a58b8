/**
 * The packaging configuration, read as electron-builder reads it, checked against what the packaged app needs on
 * each OS. electron-builder and Electron themselves cannot be downloaded here, so each rule cites where it comes from.
 */
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import YAML from 'yaml';
import { describe, expect, it } from 'vitest';
import { APP_USER_MODEL_ID } from './app.js';

const ROOT = path.resolve(import.meta.dirname, '..');
interface BuilderConfig {
  appId: string;
  asar?: unknown;
  linux: { target: string[]; icon: string };
  win: { target: { target: string }[]; icon: string };
  mac: { target: { target: string }[]; icon: string };
  deb: { depends: string[] };
  npmRebuild: boolean;
  asarUnpack: string[];
  files: string[];
  electronVersion: string;
  afterPack?: string;
  electronFuses?: Record<string, boolean>;
}
const builder = YAML.parse(fs.readFileSync(path.join(ROOT, 'electron-builder.yml'), 'utf8')) as BuilderConfig;
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  main: string;
  scripts: Record<string, string>;
  optionalDependencies: Record<string, string>;
};
const packagingDoc = fs.readFileSync(path.join(ROOT, 'docs/packaging.md'), 'utf8');

/** Whether electron-builder would unpack this file (its asarUnpack patterns are minimatch globs). */
const unpacked = (file: string): boolean => builder.asarUnpack.some((g) => path.matchesGlob(file, g));

/** Files below a folder, relative to the project root. */
function filesUnder(dir: string): string[] {
  return (fs.readdirSync(path.join(ROOT, dir), { recursive: true, withFileTypes: true }) as fs.Dirent[])
    .filter((d) => d.isFile())
    .map((d) => path.relative(ROOT, path.join(d.parentPath, d.name)).split(path.sep).join('/'));
}

describe('packaging config (electron-builder.yml; electron-builder cannot run here)', () => {
  it('builds deb + AppImage, NSIS and DMG, rebuilds native modules for Electron, and ships the compiled entry', () => {
    expect(builder.win.target.map((t) => t.target)).toEqual(['nsis']);
    expect(builder.mac.target.map((t) => t.target)).toEqual(['dmg']);
    expect(builder.npmRebuild).toBe(true);
    expect(builder.files).toContain('!node_modules/electron/**');
    expect(pkg.main).toBe('dist/main/main/index.js');
    expect(builder.files).toContain('dist/main/**/*.js');
    expect(builder.files).toContain('dist/main/**/*.cjs');
    // The declared Electron version is within the optional dependency's range (same major).
    const range = String(pkg.optionalDependencies.electron);
    expect(String(builder.electronVersion).split('.')[0]).toBe(range.replace(/^[^\d]*/, '').split('.')[0]);
  });

  it('fuses are set by electron-builder (electronFuses), never flipped in an afterPack hook', async () => {
    // electron.build "Adding Electron Fuses": electronFuses flips them before signing and embeds the asar integrity
    // hash the validation fuse checks; on Windows (Electron >= 30) a flipped fuse without that resource terminates
    // the executable at start.
    expect(builder.electronFuses).toEqual({
      runAsNode: false,
      enableCookieEncryption: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      grantFileProtocolExtraPrivileges: false,
    });
    // Every key names a real fuse (FuseOptionsV1 keys are @electron/fuses' FuseV1Options in lowerCamelCase).
    const { FuseV1Options } = await import('@electron/fuses');
    const known = Object.keys(FuseV1Options)
      .filter((k) => Number.isNaN(Number(k)))
      .map((k) => k[0]!.toLowerCase() + k.slice(1));
    for (const key of Object.keys(builder.electronFuses!)) expect(known).toContain(key);
    // No hook flips them a second time (or without the integrity resource).
    if (builder.afterPack) {
      expect(fs.readFileSync(path.join(ROOT, builder.afterPack), 'utf8')).not.toMatch(
        /@electron\/fuses|flipFuses/,
      );
    }
    for (const f of fs.readdirSync(path.join(ROOT, 'scripts')))
      expect(fs.readFileSync(path.join(ROOT, 'scripts', f), 'utf8')).not.toMatch(/flipFuses/);
    // The archive is built with its integrity hash.
    expect(builder.asar).toBe(true);
  });

  it('unpacks from app.asar what the OS opens by path: native addons, ffmpeg, sharp and its libvips, demo footage', () => {
    // docs/tutorial/asar-archives.md: spawn cannot execute from an archive; dlopen cannot load from one.
    expect(unpacked('node_modules/ffmpeg-static/ffmpeg')).toBe(true);
    expect(unpacked('node_modules/ffmpeg-static/ffmpeg.exe')).toBe(true);
    expect(unpacked('node_modules/better-sqlite3/build/Release/better_sqlite3.node')).toBe(true);
    expect(unpacked('assets/demo/plaza.mp4')).toBe(true);
    // sharp's .node loads libvips from @img by a relative path (sharp install docs, "Electron"); without it the
    // backend falls back to the slow pure-JavaScript JPEG path. Checked on the files installed here.
    const sharpFiles = [...filesUnder('node_modules/@img'), ...filesUnder('node_modules/sharp/lib')];
    const libraries = sharpFiles.filter((f) => /\.(node|so(\.\d+)*|dylib|dll)$/.test(f));
    expect(libraries.some((f) => f.includes('libvips'))).toBe(true);
    expect(libraries.filter((f) => !unpacked(f))).toEqual([]);
    // Macos and Windows builds need their own @img packages, under the same patterns.
    expect(unpacked('node_modules/@img/sharp-libvips-darwin-arm64/lib/libvips-cpp.8.17.dylib')).toBe(true);
    expect(unpacked('node_modules/@img/sharp-win32-x64/lib/libvips-42.dll')).toBe(true);
  });

  it('icons: one PNG for every platform, large enough for the macOS icns (at least 512 × 512)', async () => {
    for (const icon of [builder.mac.icon, builder.win.icon, builder.linux.icon]) {
      const meta = await sharp(path.join(ROOT, icon)).metadata();
      expect(meta.format).toBe('png');
      expect(Math.min(meta.width ?? 0, meta.height ?? 0)).toBeGreaterThanOrEqual(512);
    }
  });

  it("Windows toasts: the app declares the installer's appId as its AppUserModelID", () => {
    expect(builder.appId).toBe(APP_USER_MODEL_ID);
  });

  it('electron-builder is pinned to one exact version, the same in package.json, the config and the docs', () => {
    const m = /electron-builder@(\d+\.\d+\.\d+)(\s|$)/.exec(pkg.scripts.package ?? '');
    expect(m, 'package.json "package" script runs an exact electron-builder version').not.toBeNull();
    const version = m![1]!;
    // 26 or later: its deb installs the AppArmor profile that Ubuntu 24.04+ needs (electron-builder#8636).
    expect(Number(version.split('.')[0])).toBeGreaterThanOrEqual(26);
    expect(fs.readFileSync(path.join(ROOT, 'electron-builder.yml'), 'utf8')).toContain(
      `electron-builder ${version}`,
    );
    expect(packagingDoc).toContain(`electron-builder@${version}`);
  });

  it('Linux: the deb is preferred (Ubuntu 24.04+ aborts AppImages at start) and the docs give the AppImage workaround', () => {
    expect(builder.linux.target).toEqual(['deb', 'AppImage']);
    expect(builder.deb.depends).toContain('ffmpeg');
    expect(packagingDoc).toMatch(/Ubuntu 24\.04/);
    expect(packagingDoc).toMatch(/apparmor_parser/);
  });
});
