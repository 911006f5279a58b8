import type { CameraGrant, CameraGroup, CameraRight } from '../contract/people.js';

/**
 * Which cameras a caller may see, per right (live, recordings, export): every camera, or a set of ids. Grants name
 * cameras, groups (`@name`) or every camera (`*`); each right is capped by what the caller's role may have.
 */
export class CameraScope {
  readonly #rights: ReadonlyMap<CameraRight, 'all' | ReadonlySet<string>>;

  private constructor(rights: ReadonlyMap<CameraRight, 'all' | ReadonlySet<string>>) {
    this.#rights = rights;
  }

  /** Every right on every camera (administrators, the instance token). */
  static everything(): CameraScope {
    return new CameraScope(
      new Map<CameraRight, 'all'>([
        ['live', 'all'],
        ['recordings', 'all'],
        ['export', 'all'],
      ]),
    );
  }

  /** The scope of some grants, groups resolved, each right capped by `ceiling`. */
  static of(
    grants: readonly CameraGrant[],
    groups: readonly CameraGroup[],
    ceiling: readonly CameraRight[],
  ): CameraScope {
    const byGroup = new Map(groups.map((g) => [g.name.toLowerCase(), g.cameras]));
    const rights = new Map<CameraRight, 'all' | Set<string>>();
    for (const grant of grants) {
      for (const right of grant.rights) {
        if (!ceiling.includes(right)) continue;
        const current = rights.get(right);
        if (current === 'all') continue;
        if (grant.target === '*') {
          rights.set(right, 'all');
          continue;
        }
        const set = current ?? new Set<string>();
        const ids = grant.target.startsWith('@')
          ? (byGroup.get(grant.target.slice(1).toLowerCase()) ?? [])
          : [grant.target];
        for (const id of ids) set.add(id);
        rights.set(right, set);
      }
    }
    return new CameraScope(rights);
  }

  /** Whether the caller has `right` on a camera. */
  can(cameraId: string, right: CameraRight): boolean {
    const r = this.#rights.get(right);
    return r === 'all' || (r !== undefined && r.has(cameraId));
  }

  /** Whether the caller may see a camera at all (any right). */
  sees(cameraId: string): boolean {
    return (['live', 'recordings', 'export'] as const).some((right) => this.can(cameraId, right));
  }

  /** The cameras with `right` (any right when not given); undefined means every camera. */
  cameras(right?: CameraRight): string[] | undefined {
    const rights = right ? [right] : (['live', 'recordings', 'export'] as const);
    const ids = new Set<string>();
    for (const r of rights) {
      const v = this.#rights.get(r);
      if (v === 'all') return undefined;
      for (const id of v ?? []) ids.add(id);
    }
    return [...ids].sort();
  }

  /** Narrows a requested camera filter to what the caller may see: undefined means no filter (every camera). */
  narrow(requested: readonly string[] | undefined, right?: CameraRight): string[] | undefined {
    const allowed = this.cameras(right);
    if (!allowed) return requested ? [...requested] : undefined;
    if (!requested) return allowed;
    const set = new Set(allowed);
    return requested.filter((id) => set.has(id));
  }
}
