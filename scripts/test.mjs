#!/usr/bin/env node
// `npm test`: type-check, lint (with the layer rule), then every Vitest suite (unit, integration against real
// ffmpeg/RTSP/Redis, and end-to-end in headless Chromium). Ends with one line: "N passed, N failed[, N skipped]".
// Extra arguments go to Vitest (e.g. `npm test -- backend/src/video`), which also skips the static checks.
// A full run first checks the system programs the tests need (ffmpeg, Chromium, Redis, the GStreamer RTSP server,
// librdkafka's mock cluster) and stops at once with the command that installs whatever is missing.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { installCommand, missingPrerequisites } from './prerequisites.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
let passed = 0;
let failed = 0;
let skipped = 0;

function check(name, cmd, cmdArgs) {
  const t0 = Date.now();
  const r = spawnSync(cmd, cmdArgs, { cwd: root, stdio: 'inherit', shell: false });
  const ok = r.status === 0;
  console.log(`${ok ? '✓' : '✗'} ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  if (ok) passed++;
  else failed++;
}

const bin = (p) => path.join(root, 'node_modules', p);
if (args.length === 0) {
  const missing = missingPrerequisites();
  if (missing.length) {
    console.log(
      `✗ the tests need ${missing.map((p) => p.what).join(', ')}; install with: ${installCommand(missing)}`,
    );
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
  for (const project of ['backend', 'main', 'renderer', 'tools']) {
    check(`typecheck ${project}`, process.execPath, [
      bin('typescript/bin/tsc'),
      '-p',
      `tsconfig.${project}.json`,
      '--noEmit',
    ]);
  }
  check('lint', process.execPath, [bin('eslint/bin/eslint.js'), '.']);
  check('format', process.execPath, [
    bin('prettier/bin/prettier.cjs'),
    '--check',
    '.',
    '--log-level',
    'warn',
  ]);
}

// The renderer is served from dist/renderer by the tests that drive a browser.
check('build renderer', process.execPath, [bin('vite/bin/vite.js'), 'build', '--logLevel', 'warn']);

const report = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-test-')), 'vitest.json');
spawnSync(
  process.execPath,
  [
    bin('vitest/vitest.mjs'),
    'run',
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${report}`,
    ...args,
  ],
  { cwd: root, stdio: 'inherit' },
);
if (fs.existsSync(report)) {
  const r = JSON.parse(fs.readFileSync(report, 'utf8'));
  passed += r.numPassedTests;
  failed += r.numFailedTests;
  skipped += r.numPendingTests + r.numTodoTests;
  // A test file that fails to load (or throws at top level, e.g. a fixture missing in CI) has no tests to count.
  for (const file of r.testResults) {
    if (file.status === 'failed' && file.assertionResults.length === 0) {
      console.log(`✗ ${path.relative(root, file.name)}: ${String(file.message).split('\n')[0]}`);
      failed++;
    }
  }
} else {
  console.log('✗ vitest produced no report');
  failed++;
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed ? 1 : 0);
