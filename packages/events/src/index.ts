export * from './webhook.js';
export * from './timeline.js';
export * from './notify.js';
