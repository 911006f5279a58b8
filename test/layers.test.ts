import fs from 'node:fs';
import path from 'node:path';
import { ESLint } from 'eslint';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..');
const eslint = new ESLint({ cwd: ROOT });

/** Lints a deliberately bad file as if it lived at `asPath`, returning the layer-rule messages. */
async function layerErrors(fixture: string, asPath: string): Promise<string[]> {
  const code = fs.readFileSync(path.join(ROOT, 'test/fixtures/lint', fixture), 'utf8');
  const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, asPath) });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'vigil/layers').map((m) => m.message);
}

describe('layer rule (npm run lint)', () => {
  it('rejects Node modules and backend internals in the renderer, but allows the contract', async () => {
    const errors = await layerErrors('renderer-imports-node.tsx', 'renderer/src/Bad.tsx');
    expect(errors).toHaveLength(3);
    expect(errors[0]).toMatch(/Bad layering: renderer code runs in the browser: Node module 'node:fs'/);
    expect(errors[1]).toMatch(/Node module 'child_process'/);
    expect(errors[2]).toMatch(/renderer may import backend code only from backend\/src\/contract/);
  });

  it('rejects electron, react and main-process code in the backend', async () => {
    const errors = await layerErrors('backend-imports-electron.ts', 'backend/src/video/bad.ts');
    expect(errors).toEqual([
      expect.stringContaining("backend code must not import 'electron'"),
      expect.stringContaining("backend code must not import 'react'"),
      expect.stringContaining('backend code must not import from main/'),
    ]);
  });

  it('lets backend tests import the contract suites in test/, but no shipped backend module', async () => {
    const shipped = await layerErrors('backend-imports-test.ts', 'backend/src/store/bad.ts');
    expect(shipped).toEqual([expect.stringContaining('only tests may import test code')]);
    expect(await layerErrors('backend-imports-test.ts', 'backend/src/store/bad.test.ts')).toEqual([]);
  });

  it('builds the backend without a contract suite or anything else that needs vitest', () => {
    const config = ts.getParsedCommandLineOfConfigFile(
      path.join(ROOT, 'tsconfig.backend.json'),
      {},
      { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} },
    );
    const files = (config?.fileNames ?? []).map((f) => path.relative(ROOT, f).split(path.sep).join('/'));
    expect(files.length).toBeGreaterThan(100);
    expect(files.filter((f) => !f.startsWith('backend/src/'))).toEqual([]);
    const withVitest = files.filter((f) => /from 'vitest'/.test(fs.readFileSync(path.join(ROOT, f), 'utf8')));
    expect(withVitest).toEqual([]);
  });

  it('keeps the composition on top: a capability imports nothing from backend/src/roles', async () => {
    const errors = await layerErrors('backend-imports-roles.ts', 'backend/src/store-es/bad.ts');
    expect(errors).toEqual([expect.stringContaining('only backend/src/roles composes the stages')]);
    expect(await layerErrors('backend-imports-roles.ts', 'backend/src/roles/fine.ts')).toEqual([]);
  });

  it('keeps the contract pure: only contract files and zod', async () => {
    const errors = await layerErrors('contract-imports-node.ts', 'backend/src/contract/bad.ts');
    expect(errors).toHaveLength(3);
    expect(errors.join('\n')).toMatch(/not 'node:fs'/);
    expect(errors.join('\n')).toMatch(/not 'pino'/);
    expect(errors.join('\n')).toMatch(/not '..\/platform\/log.js'/);
  });

  it('passes on the real source tree', async () => {
    const results = await eslint.lintFiles(['backend/src', 'renderer/src', 'main']);
    const layerProblems = results.flatMap((r) =>
      r.messages.filter((m) => m.ruleId === 'vigil/layers').map((m) => `${r.filePath}: ${m.message}`),
    );
    expect(layerProblems).toEqual([]);
  });
});
