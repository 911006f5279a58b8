/**
 * The names pages have long imported: thin wrappers over the one client (./api-client) and the formatting module
 * (./format). New code imports those directly.
 */
export { api, type ApiResult } from './api-client';
export { formatBytes, formatTime } from './format';
