export * from './webhook.js';
export * from './timeline.js';
