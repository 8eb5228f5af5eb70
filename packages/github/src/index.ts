export * from './client.js';
export * from './errors.js';
export * from './refs.js';
export * from './releases.js';
export * from './deployments.js';
