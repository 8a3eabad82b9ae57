// Delayed retry and the delivery limit from a client other than amqplib: Python's pika runs
// test/fixtures/pika-delivery-retry.py against an in-process Warren on the real clock (delays of a few
// hundred ms). Skipped where no python3 has pika (Debian's python3-pika; .ci/run installs it).
import assert from 'node:assert/strict'
import { execFile, spawnSync } from 'node:child_process'
import { promisify } from 'node:util'
import { fileURLToPath } from 'node:url'
import { test } from 'node:test'
import { useTarget } from '../helpers/target.js'

const t = useTarget()
const SCRIPT = fileURLToPath(new URL('../../../test/fixtures/pika-delivery-retry.py', import.meta.url))
/** Debian's python3 first: python3-pika installs for it, and a python3 earlier on PATH may lack it. */
const PYTHON = ['/usr/bin/python3', 'python3'].find(
  (p) => spawnSync(p, ['-c', 'import pika'], { stdio: 'ignore' }).status === 0,
)

interface PikaReport {
  /** [x-delivery-count, redelivered, ms waited for it] per delivery. */
  deliveries: Array<[number | null, boolean, number]>
  death: { reason: string; queue: boolean; count: number }
  bad_limit: [number, string]
}

test(
  'pika: backoff 100, 200, 300 ms, counts 1..3 on redeliveries, then delivery_limit',
  { skip: (t.external || !PYTHON) && 'no python3 with pika, or not an in-process Warren' },
  async () => {
    const url = t.url.endsWith('/') ? `${t.url}%2F` : `${t.url}/%2F`
    // Asynchronously: the broker runs in this process, and a synchronous child would stall it.
    const run = await promisify(execFile)(PYTHON as string, [SCRIPT, url], { timeout: 60_000 })
    const r = JSON.parse(run.stdout) as PikaReport
    assert.deepEqual(
      r.deliveries.map(([count, redelivered]) => [count, redelivered]),
      [
        [null, false],
        [1, true],
        [2, true],
        [3, true],
      ],
    )
    // Each wait is at least its backoff (100, 200, then 400 capped at 300); timers may run late.
    const waits = r.deliveries.slice(1).map(([, , ms]) => ms)
    ;[100, 200, 300].forEach((min, i) => assert.ok((waits[i] ?? 0) >= min - 5, `wait ${i}: ${waits[i]}`))
    assert.deepEqual(r.death, { reason: 'delivery_limit', queue: true, count: 1 })
    assert.equal(r.bad_limit[0], 406)
    assert.match(
      r.bad_limit[1],
      /^PRECONDITION_FAILED - invalid arg 'x-delivery-limit' for queue '[^']+' in vhost '\/': \{value_negative,-1\}$/,
    )
  },
)
