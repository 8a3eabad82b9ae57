#!/usr/bin/env -S node --initial-old-space-size=256
// The flag, as `npm start` passes it too: V8 starts the old generation's budget at 256 MB instead of
// sizing it from the live heap (about 20 MB), which under a broker's load kept it near 40 MB and started a
// mark-compact every ~100 ms (docs/benchmarks.md, "V8's old-generation budget"). Memory is taken only
// as it is used.
import { buildCli } from '../cli/index.js'

await buildCli().parseAsync(process.argv)
