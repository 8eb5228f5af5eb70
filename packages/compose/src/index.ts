export * from './argv.js';
export { detectCompose, composeDetectArgv, parseDetect } from './detect.js';
export * from './file.js';
