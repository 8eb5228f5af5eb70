// A command given as an input (run-migrations' `command`, deploy-compose's `migrate-command`) as argv data.
export { parseCommandLine, splitWords } from './command-line.js';
