export * from './expr.js';
export * from './run.js';
export * from './permissions.js';
