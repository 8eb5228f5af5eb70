export * from './config.js';
export * from './plan.js';
