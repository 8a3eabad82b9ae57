// The hash and random exchange types from a client other than amqplib: Python's pika runs
// test/fixtures/pika-hash-exchanges.py against an in-process Warren. Skipped where no python3 has pika
// (Debian's python3-pika; .ci/run installs it). The same script run against RabbitMQ 3.10.8 prints the
// same 406 texts and the same shape of spread.
import assert from 'node:assert/strict'
import { execFile, spawnSync } from 'node:child_process'
import { promisify } from 'node:util'
import { fileURLToPath } from 'node:url'
import { test } from 'node:test'
import { useTarget } from '../helpers/target.js'

const t = useTarget()
const SCRIPT = fileURLToPath(new URL('../../../test/fixtures/pika-hash-exchanges.py', import.meta.url))
/** Debian's python3 first: python3-pika installs for it, and a python3 earlier on PATH may lack it. */
const PYTHON = ['/usr/bin/python3', 'python3'].find(
  (p) => spawnSync(p, ['-c', 'import pika'], { stdio: 'ignore' }).status === 0,
)

interface PikaReport {
  consistent_hash_by_header: number[]
  consistent_hash_without_header: number[]
  bind_not_integer: [number, string]
  bind_zero: [number, string]
  both_arguments: [number, string]
  'x-modulus-hash': number[]
  'x-random': number[]
}

function near(n: number, total: number, share: number): boolean {
  return Math.abs(n / total - share) < 0.07
}

test(
  'pika sees weights, the 406 texts and one queue per message',
  { skip: !PYTHON && 'no python3 with pika' },
  async () => {
    const url = t.url.endsWith('/') ? `${t.url}%2F` : `${t.url}/%2F`
    // Asynchronously: the broker runs in this process, and a synchronous child would stall it.
    const run = await promisify(execFile)(PYTHON as string, [SCRIPT, url], { timeout: 60_000 })
    const r = JSON.parse(run.stdout) as PikaReport
    const [a = 0, b = 0, heavy = 0] = r.consistent_hash_by_header
    assert.equal(a + b + heavy, 800)
    assert.ok(near(heavy, 800, 1 / 2) && near(a, 800, 1 / 4), `weights 1, 1, 2: ${a}, ${b}, ${heavy}`)
    assert.deepEqual(r.consistent_hash_without_header, [0, 0, 50])
    assert.deepEqual(r.bind_not_integer, [
      406,
      'PRECONDITION_FAILED - The binding key must be an integer: <<"abc">>',
    ])
    assert.deepEqual(r.bind_zero, [406, 'PRECONDITION_FAILED - The binding key must be greater than 0'])
    assert.deepEqual(r.both_arguments, [
      406,
      'PRECONDITION_FAILED - hash-header and hash-property are mutually exclusive',
    ])
    for (const kind of ['x-modulus-hash', 'x-random'] as const) {
      const n = r[kind]
      assert.equal(
        n.reduce((x, y) => x + y, 0),
        600,
        kind,
      )
      assert.ok(
        n.every((x) => near(x, 600, 1 / 3)),
        `${kind}: ${n.join(', ')}`,
      )
    }
  },
)
