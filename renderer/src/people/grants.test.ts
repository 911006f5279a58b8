import { describe, expect, it } from 'vitest';
import { ROLE_PERMISSIONS, type Permission } from '../../../backend/src/contract/people';
import { capGrants, describeGrants, mayOpen, rightsOf, toGrants } from './grants';

const of = (role: keyof typeof ROLE_PERMISSIONS) => (p: Permission) => ROLE_PERMISSIONS[role].includes(p);

describe('camera grants in the people forms', () => {
  it('a guard keeps only live on the cameras picked for an investigator', () => {
    const draft = new Map([
      ['lobby', ['live', 'recordings', 'export'] as const],
      ['dock', ['recordings'] as const],
    ]);
    const capped = capGrants(draft, rightsOf('guard'));
    expect([...capped]).toEqual([['lobby', ['live']]]);
  });

  it('"all cameras" replaces the cameras picked one by one', () => {
    const draft = new Map([
      ['lobby', ['live'] as const],
      ['*', ['live'] as const],
    ]);
    expect(toGrants(draft)).toEqual([{ target: '*', rights: ['live'] }]);
  });

  it('says grants in words with camera names', () => {
    const names: Record<string, string> = { lobby: 'Lobby' };
    expect(
      describeGrants(
        [
          { target: 'lobby', rights: ['live', 'recordings'] },
          { target: '@north', rights: ['live'] },
        ],
        (id) => names[id] ?? id,
      ),
    ).toBe('Lobby (live, recordings), @north (live)');
    expect(describeGrants([], (id) => id)).toBe('no cameras');
  });
});

describe('views by permission', () => {
  it('a guard sees the wall and recent events, not people, backup or camera settings', () => {
    expect(mayOpen('live', of('guard'))).toBe(true);
    expect(mayOpen('events', of('guard'))).toBe(true);
    for (const view of ['people', 'backup', 'cameras', 'rules', 'system'])
      expect(mayOpen(view, of('guard'))).toBe(false);
  });

  it('an administrator sees every view', () => {
    for (const view of ['live', 'events', 'people', 'backup', 'cameras', 'rules', 'system', 'desktop'])
      expect(mayOpen(view, of('admin'))).toBe(true);
  });
});
