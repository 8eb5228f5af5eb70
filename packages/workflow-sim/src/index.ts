export * from './expr.js';
export * from './run.js';
