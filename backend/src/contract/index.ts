export * from './api.js';
export * from './bus.js';
export * from './config.js';
export * from './events.js';
export * from './events-api.js';
export * from './store.js';
export * from './media.js';
