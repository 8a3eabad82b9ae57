// Delayed and scheduled delivery from a client other than amqplib: Python's pika runs
// test/fixtures/pika-delayed.py against an in-process Warren (real clock, delays of a few hundred ms).
// Skipped where no python3 has pika (Debian's python3-pika; .ci/run installs it).
import assert from 'node:assert/strict'
import { execFile, spawnSync } from 'node:child_process'
import { promisify } from 'node:util'
import { fileURLToPath } from 'node:url'
import { test } from 'node:test'
import { useBroker } from '../helpers/broker.js'

const b = useBroker()
const SCRIPT = fileURLToPath(new URL('../../../test/fixtures/pika-delayed.py', import.meta.url))
const PYTHON = ['/usr/bin/python3', 'python3'].find(
  (p) => spawnSync(p, ['-c', 'import pika'], { stdio: 'ignore' }).status === 0,
)

interface PikaReport {
  arrived: string[]
  x_delay: Record<string, number | null>
  ticks: number
  missing_type: [number, string] | null
}

test(
  'pika: delays in due order, x-delay negated, a series of three, the 406 for a missing type',
  { skip: !PYTHON && 'no python3 with pika' },
  async () => {
    const url = `${b.url.replace(/\/$/, '')}/%2F`
    // Asynchronously: the broker runs in this process, and a synchronous child would stall it.
    const run = await promisify(execFile)(PYTHON as string, [SCRIPT, url], { timeout: 60_000 })
    const r = JSON.parse(run.stdout) as PikaReport
    assert.deepEqual(r.arrived, ['now', 'first', 'second', 'third'])
    assert.deepEqual(r.x_delay, { now: 0, first: -200, second: -400, third: -600 })
    assert.equal(r.ticks, 3)
    assert.deepEqual(r.missing_type, [
      406,
      "PRECONDITION_FAILED - Invalid argument, 'x-delayed-type' must be an existing exchange type",
    ])
  },
)
