import { describe, expect, it } from 'vitest';
import { AUDIT_GENESIS_HASH, type AuditAction, type AuditLog } from '../../backend/src/contract/audit.js';
import { auditEntryHash } from '../../backend/src/audit/chain.js';

/**
 * What every implementation of `AuditLog` must do (SQLite embedded, Elasticsearch in a cluster). `make` returns an
 * empty log that signs checkpoints with a key it also checks them with, and never checkpoints on its own.
 */
export function runAuditLogContractSuite(name: string, make: () => Promise<AuditLog>): void {
  describe(`AuditLog contract: ${name}`, () => {
    const fill = async (log: AuditLog) => {
      const plan: Array<[string, AuditAction, string | undefined]> = [
        ['ann', 'live-start', 'dock'],
        ['bob', 'playback', 'gate'],
        ['ann', 'search', undefined],
        ['carl', 'export', 'dock'],
        ['bob', 'view', 'dock'],
        ['ann', 'live-stop', 'dock'],
      ];
      for (const [i, [actor, action, camera]] of plan.entries())
        await log.append({
          ts: 10_000 + i * 1000,
          actor,
          action,
          ...(camera ? { camera } : {}),
          target: `t${i + 1}`,
          detail: { z: 1, a: { y: [2, 'x'], b: null }, i: i + 1 },
        });
    };

    it('chains each entry to the one before with the hash of its canonical form', async () => {
      const log = await make();
      try {
        const first = await log.append({ ts: 1, actor: 'ann', action: 'search', detail: { b: 1, a: 2 } });
        const second = await log.append({
          ts: 2,
          actor: 'bob',
          action: 'view',
          camera: 'dock',
          target: 'ev-1',
        });
        expect(first).toMatchObject({ seq: 1, prevHash: AUDIT_GENESIS_HASH });
        expect(second).toMatchObject({ seq: 2, prevHash: first.hash });
        const { hash, ...rest } = second;
        expect(hash).toBe(auditEntryHash(rest));
        expect(await log.all({})).toEqual([first, second]);
      } finally {
        await log.dispose();
      }
    });

    it('lists newest first with every filter, counts all matches, pages with before, narrows to actors', async () => {
      const log = await make();
      try {
        await fill(log);
        const page = await log.list({ limit: 2 });
        expect(page.entries.map((e) => e.seq)).toEqual([6, 5]);
        expect(page.total).toBe(6);
        const next = await log.list({ limit: 2, before: 5 });
        expect(next.entries.map((e) => e.seq)).toEqual([4, 3]);
        expect(next.total).toBe(6);
        expect((await log.list({ limit: 10, actor: 'ann' })).entries.map((e) => e.seq)).toEqual([6, 3, 1]);
        expect((await log.list({ limit: 10, action: 'export' })).entries.map((e) => e.actor)).toEqual([
          'carl',
        ]);
        expect((await log.list({ limit: 10, camera: 'dock' })).total).toBe(4);
        expect((await log.list({ limit: 10, from: 11_000, to: 13_000 })).entries.map((e) => e.seq)).toEqual([
          3, 2,
        ]);
        expect((await log.list({ limit: 10, actors: ['bob', 'carl'] })).entries.map((e) => e.seq)).toEqual([
          5, 4, 2,
        ]);
        expect((await log.list({ limit: 10, actors: ['bob'], actor: 'ann' })).total).toBe(0);
        expect((await log.all({ camera: 'dock' })).map((e) => e.seq)).toEqual([1, 4, 5, 6]);
        expect(page.entries[0]?.detail).toEqual({ z: 1, a: { y: [2, 'x'], b: null }, i: 6 });
      } finally {
        await log.dispose();
      }
    });

    it('signs the head on checkpoint (once per new head) and verifies whole and signed', async () => {
      const log = await make();
      try {
        expect(await log.checkpoint()).toBeUndefined();
        await fill(log);
        const c = await log.checkpoint();
        expect(c).toMatchObject({ seq: 6 });
        expect(await log.checkpoint()).toBeUndefined();
        await log.append({ ts: 99_000, actor: 'ann', action: 'search' });
        expect(await log.verify()).toMatchObject({
          ok: true,
          entries: 7,
          checkpoints: 1,
          lastSeq: 7,
          signedThrough: 6,
          signaturesChecked: true,
        });
      } finally {
        await log.dispose();
      }
    });
  });
}
