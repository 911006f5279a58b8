import type { NamedLayout, WallLayout } from '../../../backend/src/contract';
import { api, path, Routes, type ApiResult } from '../lib/api-client';
import { isLayout } from './layout';

/** Where named layouts were kept before the backend saved them; moved to the backend once, then removed. */
const OLD_LOCAL_KEY = 'vigil.layouts';

const layoutPath = (name: string) => path(Routes.layouts.layout, { name });

/** Named wall layouts of the site, saved on the backend so that every window and browser sees the same ones. */
export const savedLayouts = {
  async list(): Promise<ApiResult<NamedLayout[]>> {
    await moveLocalLayouts();
    return api.get<NamedLayout[]>(Routes.layouts.layouts);
  },
  save(name: string, layout: WallLayout): Promise<ApiResult<NamedLayout>> {
    return api.put<NamedLayout>(layoutPath(name.trim()), layout);
  },
  remove(name: string): Promise<ApiResult<void>> {
    return api.del<void>(layoutPath(name));
  },
};

let moved = false;
/** Layouts this browser saved locally in earlier versions go to the backend, unless a layout has that name already. */
async function moveLocalLayouts(): Promise<void> {
  if (moved) return;
  moved = true;
  let local: Record<string, unknown>;
  try {
    local = JSON.parse(localStorage.getItem(OLD_LOCAL_KEY) ?? '{}') as Record<string, unknown>;
  } catch {
    return;
  }
  const names = Object.keys(local);
  if (names.length === 0) return;
  const existing = await api.get<NamedLayout[]>(Routes.layouts.layouts);
  if (!existing.ok) return;
  const taken = new Set(existing.data.map((l) => l.name));
  let failed = false;
  for (const name of names) {
    const layout = local[name];
    if (taken.has(name.trim()) || !isLayout(layout)) continue;
    if (!(await savedLayouts.save(name, layout)).ok) failed = true;
  }
  if (!failed) localStorage.removeItem(OLD_LOCAL_KEY);
}
