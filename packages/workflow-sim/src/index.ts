export * from './expr.js';
export * from './run.js';
export * from './permissions.js';
export * from './concurrency.js';
export * from './refs.js';
