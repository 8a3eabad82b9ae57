// Deduplication from a client other than amqplib: Python's pika runs test/fixtures/pika-dedup.py against
// an in-process Warren (publisher confirms on, so a nacked duplicate would raise). Skipped where no
// python3 has pika (Debian's python3-pika; .ci/run installs it).
import assert from 'node:assert/strict'
import { execFile, spawnSync } from 'node:child_process'
import { promisify } from 'node:util'
import { fileURLToPath } from 'node:url'
import { test } from 'node:test'
import { useTarget } from '../helpers/target.js'

const t = useTarget()
const SCRIPT = fileURLToPath(new URL('../../../test/fixtures/pika-dedup.py', import.meta.url))
const PYTHON = ['/usr/bin/python3', 'python3'].find(
  (p) => spawnSync(p, ['-c', 'import pika'], { stdio: 'ignore' }).status === 0,
)

test(
  'pika: duplicates are acked and routed nowhere, a mandatory one is returned; the 406 text',
  { skip: !PYTHON && 'no python3 with pika' },
  async () => {
    const url = t.url.endsWith('/') ? `${t.url}%2F` : `${t.url}/%2F`
    // Asynchronously: the broker runs in this process, and a synchronous child would stall it.
    const run = await promisify(execFile)(PYTHON as string, [SCRIPT, url], { timeout: 60_000 })
    const r = JSON.parse(run.stdout) as Record<string, unknown>
    assert.deepEqual(r['exchange_queue'], ['a1', 'b1', 'plain'])
    assert.equal(r['mandatory_duplicate'], 'returned')
    assert.deepEqual(r['dedup_queue'], ['j1'])
    assert.deepEqual(r['no_cache_size'], [
      406,
      "PRECONDITION_FAILED - Missing or invalid argument, 'x-cache-size' must be an integer greater than 0",
    ])
  },
)
