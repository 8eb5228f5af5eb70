import { runEntry } from '../common/entry.js';
import { hostPost } from '../common/host.js';

await runEntry(hostPost);
