export { SitesView } from './SitesView';
