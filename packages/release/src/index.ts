export * from './conventional.js';
export * from './git.js';
export * from './version.js';
export * from './changelog.js';
export * from './plan.js';
export * from './publish.js';
export * from './summary.js';
export * from './inputs.js';
