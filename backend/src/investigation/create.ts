import path from 'node:path';
import { SiteMapStore, TrailStore } from './store.js';

/** Folder of the site map and the trails inside the data folder (backed up with the rest of it). */
export const INVESTIGATION_DIR = 'investigation';

/** The site map and the trails of an installation. */
export interface Investigation {
  siteMap: SiteMapStore;
  trails: TrailStore;
}

/** The site map and trails of an installation (or of one api instance of a cluster), under its data folder. */
export function createInvestigation(dataDir: string): Investigation {
  const folder = path.join(dataDir, INVESTIGATION_DIR);
  return { siteMap: new SiteMapStore(folder), trails: new TrailStore(folder) };
}
