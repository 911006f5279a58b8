export * from './api.js';
export * from './bus.js';
export * from './config.js';
export * from './events.js';
export * from './media.js';
export * from './realtime.js';
export * from './video.js';
export * from './video-api.js';
