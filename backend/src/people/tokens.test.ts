import { describe, expect, it } from 'vitest';
import { tempPeople } from '../../../test/fixtures/people.js';

describe('API tokens', () => {
  it('every token created works until it is revoked, whatever characters its secret holds', async () => {
    const people = tempPeople();
    // base64url secrets hold underscores about every other time: twenty tokens meet several.
    const created = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        people.createToken({ name: `script-${i}`, permissions: ['live.view'] }, 'chief'),
      ),
    );
    expect(created.some((t) => t.secret.split('_').length > 3)).toBe(true);
    for (const t of created) {
      const caller = await people.authenticateToken(t.secret);
      expect(caller?.user, t.secret).toBe(`token:${t.token.name}`);
      expect([...(caller?.permissions ?? [])]).toEqual(['live.view']);
    }
    await people.revokeToken(created[0]!.token.id, 'chief');
    expect(await people.authenticateToken(created[0]!.secret)).toBeUndefined();
    expect(await people.authenticateToken(`${created[1]!.secret}x`)).toBeUndefined();
  });
});
