// A clone of the repository in any folder must have every fixture its tests and benches read: nothing may name a
// path outside the checkout (a media folder next to it, one machine's absolute paths).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, VTEST_H264 } from './fixtures/media.js';

const SELF = path.resolve(import.meta.filename);
const SKIP_DIRS = new Set(['node_modules', 'dist', 'dist-electron', 'release', '.git', 'coverage']);
const EXTENSIONS = /\.(ts|tsx|mts|cts|js|mjs|cjs|py|sh|json|ya?ml)$/;

/** Folders that hold only tests, fixtures, benches and the scripts that run them. */
const TEST_TREES = ['test', 'e2e', 'bench', 'scripts', '.ci'];

/** Every test, fixture, bench and test script of the checkout (anything that could read a fixture). */
function testFiles(dir = REPO_ROOT, out: string[] = []): string[] {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (SKIP_DIRS.has(entry.name)) continue;
    const full = path.join(dir, entry.name);
    const rel = path.relative(REPO_ROOT, full);
    const inTestTree = TEST_TREES.some((t) => rel === t || rel.startsWith(`${t}${path.sep}`));
    if (entry.isDirectory()) testFiles(full, out);
    else if (
      entry.isFile() &&
      ((inTestTree && (EXTENSIONS.test(entry.name) || rel.startsWith(`.ci${path.sep}`))) ||
        /\.test\.tsx?$/.test(entry.name))
    )
      out.push(full);
  }
  return out;
}

/** Ways a file can reach outside the repository, each with what it means. */
const OUTSIDE: [RegExp, string][] = [
  [/shared[/\\]media|['"]shared['"]\s*,\s*['"]media['"]/, 'a media folder outside the checkout'],
  [/\.\.[/\\]shared\b|['"]\.\.['"]\s*,\s*['"]shared['"]/, 'a folder next to the checkout'],
  [/\bROOT\s*,\s*['"`]\.\.(?:[/\\'"`])/, 'a path above the repository root'],
  [/(^|['"`\s(=])\/(work|Users|mnt|media|srv|root)\//, "one machine's absolute path"],
  [/(?<!file:\/\/)\/home\/[a-z]/, "one machine's home folder"],
  [/Megamind|vtest\.avi/, 'footage the repository does not carry'],
];

describe('a fresh clone has every fixture it needs', () => {
  it('no test, fixture, bench or test script names a path outside the repository', () => {
    const files = testFiles().filter((f) => f !== SELF);
    // The scan saw the test tree, the benches and the backend (a scan of nothing would pass anything).
    for (const part of [
      'test/fixtures/rtsp.ts',
      'bench/backup/index.ts',
      'backend/src/video/reconnect.test.ts',
    ])
      expect(files).toContain(path.join(REPO_ROOT, part));
    const found: string[] = [];
    for (const file of files) {
      const lines = fs.readFileSync(file, 'utf8').split('\n');
      lines.forEach((line, i) => {
        for (const [re, what] of OUTSIDE)
          if (re.test(line))
            found.push(`${path.relative(REPO_ROOT, file)}:${i + 1}: ${what}: ${line.trim().slice(0, 120)}`);
      });
    }
    expect(found).toEqual([]);
  });

  it('each pattern catches the spellings that used to be in the tests', () => {
    const caught = (line: string): boolean => OUTSIDE.some(([re]) => re.test(line));
    // Spelled in pieces, so that this file does not name those paths itself.
    const shared = ['shared', 'media', 'vtest-h264.mp4'].join('/');
    expect(caught(`export const VTEST = path.resolve(ROOT, '../${shared}');`)).toBe(true);
    expect(caught(`const FALLBACK_VTEST = '/${'work'}/${shared}';`)).toBe(true);
    expect(caught("const candidate = path.join(dir, '..', 'shared', 'media', name);")).toBe(true);
    expect(caught("const CORRUPT = sharedMedia('Megamind_bugy.avi');")).toBe(true);
    expect(caught("const data = path.join(ROOT, '../fixtures/big.bin');")).toBe(true);
    expect(caught("const home = '/home/alice/videos/cam.mp4';")).toBe(true);
    // Paths inside the repository and URLs that a test expects to be refused are fine.
    expect(caught("const VTEST_H264 = path.join(REPO_ROOT, 'assets/demo/vtest-h264.mp4');")).toBe(false);
    expect(caught("import { x } from '../../../test/fixtures/media.js';")).toBe(false);
    expect(caught("expect(win.navigate('file:///home/user/.ssh/id_rsa')).toBe(false);")).toBe(false);
  });

  it('the footage the tests use lies inside the repository', () => {
    expect(path.relative(REPO_ROOT, VTEST_H264).startsWith('..')).toBe(false);
    expect(fs.statSync(VTEST_H264).size).toBeGreaterThan(1_000_000);
  });
});
