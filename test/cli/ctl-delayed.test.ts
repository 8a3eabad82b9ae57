// warren ctl for the messages an x-delayed-message exchange holds: list_delayed_messages (columns as
// the list_* commands take them), cancel_delayed_message and purge_delayed_messages, and their errors.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { lines, scratchVhost, unique, useWarren } from './helpers.js'

const w = useWarren()

async function heldExchange(vhost: string): Promise<string> {
  const ex = unique('later')
  const conn = await w.connect(vhost)
  const ch = await conn.createConfirmChannel()
  await ch.assertExchange(ex, 'x-delayed-message', { arguments: { 'x-delayed-type': 'direct' } })
  ch.publish(ex, 'k1', Buffer.from('one'), { headers: { 'x-delay': 60_000 }, messageId: 'first' })
  ch.publish(ex, 'k2', Buffer.from('two'), {
    headers: { 'x-delay': 120_000, 'x-schedule-repeat': 2, 'x-schedule-period': 1000 },
    messageId: 'second',
  })
  await ch.waitForConfirms()
  return ex
}

test('list_delayed_messages, cancel_delayed_message, purge_delayed_messages', async () => {
  const vhost = await scratchVhost(w)
  const ex = await heldExchange(vhost)
  const listed = await w.ctl(
    '-s',
    'list_delayed_messages',
    '-p',
    vhost,
    ex,
    'id',
    'routing_key',
    'message_id',
    'remaining',
  )
  assert.equal(listed.code, 0, listed.stderr)
  const rows = lines(listed.stdout).map((l) => l.split('\t'))
  assert.deepEqual(
    rows.map((r) => r.slice(1)),
    [
      ['k1', 'first', '0'],
      ['k2', 'second', '2'],
    ],
  )
  const cancel = await w.ctl('cancel_delayed_message', '-p', vhost, ex, rows[0]?.[0] ?? '')
  assert.equal(cancel.code, 0, cancel.stderr)
  assert.match(cancel.stdout, /Cancelling delayed message \d+ of exchange/)
  const after = lines((await w.ctl('-s', 'list_delayed_messages', '-p', vhost, ex, 'message_id')).stdout)
  assert.deepEqual(after, ['second'])
  const again = await w.ctl('cancel_delayed_message', '-p', vhost, ex, rows[0]?.[0] ?? '')
  assert.equal(again.code, 64)
  assert.match(again.stderr, /Delayed message or exchange not found/)
  const purge = await w.ctl('purge_delayed_messages', '-p', vhost, ex)
  assert.equal(purge.code, 0, purge.stderr)
  assert.equal((await w.ctl('-s', 'list_delayed_messages', '-p', vhost, ex)).stdout, '')
})

test('list_delayed_messages: a missing exchange, another type, an unknown column', async () => {
  const vhost = await scratchVhost(w)
  const missing = await w.ctl('list_delayed_messages', '-p', vhost, 'nope')
  assert.equal(missing.code, 64)
  assert.match(missing.stderr, /Exchange 'nope' not found/)
  const direct = await w.ctl('list_delayed_messages', '-p', vhost, 'amq.direct')
  assert.equal(direct.code, 64)
  assert.match(direct.stderr, /not x-delayed-message/)
  const column = await w.ctl('list_delayed_messages', '-p', vhost, 'amq.direct', 'colour')
  assert.equal(column.code, 64)
  assert.match(column.stderr, /Info key\(s\) colour are not supported/)
})
