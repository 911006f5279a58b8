import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteEventStore } from './sqlite-store.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-durable-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('event store durability', () => {
  it('keeps every event the writer acknowledged when the process is killed with SIGKILL mid-burst', async () => {
    const file = path.join(dir, 'events.db');
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(ROOT, 'test/fixtures/store-burst-writer.ts'), file],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'inherit'],
        env: { ...process.env, VIGIL_LOG_LEVEL: 'warn' },
      },
    );
    const reported = new Map<string, number>();
    let buffered = '';
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_c, s) => resolve(s)));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`only ${reported.size} events reported in time`)),
        45_000,
      );
      child.stdout.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines) {
          const [word, id, score] = line.split(' ');
          if (word === 'stored' && id) reported.set(id, Math.max(reported.get(id) ?? 0, Number(score)));
        }
        if (reported.size >= 3000) {
          clearTimeout(timer);
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.once('exit', () => {
        clearTimeout(timer);
        if (reported.size < 3000) reject(new Error('the writer exited before the burst was under way'));
      });
    });
    expect(await exited).toBe('SIGKILL');
    // Lines still in the pipe were written before the kill: they count too.
    for (const line of buffered.split('\n')) {
      const [word, id, score] = line.split(' ');
      if (word === 'stored' && id && score) reported.set(id, Math.max(reported.get(id) ?? 0, Number(score)));
    }

    const store = new SqliteEventStore({ file });
    try {
      const lookup = store.db.prepare<[string], { top_score: number; phase: string }>(
        'SELECT top_score, phase FROM events WHERE id = ?',
      );
      const missing: string[] = [];
      const regressed: string[] = [];
      for (const [id, score] of reported) {
        const row = lookup.get(id);
        if (!row) missing.push(id);
        else if (row.top_score < score) regressed.push(id);
      }
      expect({
        reported: reported.size >= 3000,
        missing: missing.slice(0, 5),
        regressed: regressed.slice(0, 5),
      }).toEqual({
        reported: true,
        missing: [],
        regressed: [],
      });
      expect(store.db.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      await store.dispose();
    }
  });
});
