export * from './nginx.js';
export * from './layout.js';
export * from './spec.js';
export * from './conf.js';
export * from './apply.js';
export * from './tls.js';
