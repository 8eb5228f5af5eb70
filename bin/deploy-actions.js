#!/usr/bin/env node
// The CLI: the bundled entry in dist/cli runs each action's own bundle (see packages/cli).
import '../dist/cli/index.js';
