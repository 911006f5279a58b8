// `npm install` links a package's bin only into the node_modules of a project that depends on it, so in a clone of
// Vigil the command is not on the PATH: the docs must show `npx vigil …`, which npm resolves to this package's own
// `bin` (https://docs.npmjs.com/cli/commands/npm-exec: "the package's bin entry" of the project in the cwd).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './fixtures/media.js';

const run = promisify(execFile);

/** The Markdown files a reader follows to run Vigil from a clone. */
function docFiles(): string[] {
  const docs = fs
    .readdirSync(path.join(REPO_ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => path.join(REPO_ROOT, 'docs', f));
  return [path.join(REPO_ROOT, 'README.md'), ...docs];
}

/** A command line that starts with the bare `vigil` (inline code or a line of a code block). */
const BARE = /(^|`)vigil (role|verify|restore|local|--)/;

describe('the vigil command from a clone', () => {
  it('the docs show the command as `npx vigil …`, never bare `vigil …`', () => {
    const found: string[] = [];
    let shown = 0;
    for (const file of docFiles()) {
      fs.readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (BARE.test(line.trimStart()))
            found.push(`${path.relative(REPO_ROOT, file)}:${i + 1}: ${line.trim().slice(0, 100)}`);
          if (line.includes('npx vigil ')) shown++;
        });
    }
    expect(found).toEqual([]);
    expect(shown).toBeGreaterThan(3);
  });

  it('package.json names an executable bin that `npx vigil --help` runs from the repository', async () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
      name: string;
      bin: Record<string, string>;
    };
    expect(pkg.name).toBe('vigil');
    const bin = path.join(REPO_ROOT, pkg.bin['vigil'] ?? '');
    expect(fs.readFileSync(bin, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(fs.statSync(bin).mode & 0o111).not.toBe(0);
    // --no-install: it must resolve to this checkout, never fetch a package of the same name from the registry.
    const { stdout } = await run('npx', ['--no-install', 'vigil', '--help'], {
      cwd: REPO_ROOT,
      timeout: 60_000,
    });
    expect(stdout).toMatch(/^Usage: vigil /);
    expect(stdout).toContain('vigil restore --target');
  }, 90_000);
});
