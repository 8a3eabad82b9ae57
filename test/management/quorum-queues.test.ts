// Quorum queues through the management API, as RabbitMQ 3.10 shows them: type "quorum" with its Raft
// members (this node alone), the declare refusals as 400 bad_request with the AMQP texts, and the type
// kept by a definitions export and import (it rides in the arguments).
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type amqp from 'amqplib'
import { eventually, scratchVhost, seg, useManagement } from './helpers.js'

const m = useManagement()
const vh = scratchVhost(m, 'mgmt-qq')
const v = (): string => seg(vh.name)
const quorum = { durable: true, arguments: { 'x-queue-type': 'quorum' } }

describe('quorum queues in the management API', () => {
  test('GET shows type quorum with leader, members and online (one node)', async () => {
    assert.equal((await m.api('PUT', `/api/queues/${v()}/qq1`, { body: quorum })).status, 201)
    const q = (await m.api('GET', `/api/queues/${v()}/qq1`)).json
    assert.equal(q.type, 'quorum')
    assert.equal(q.durable, true)
    assert.deepEqual(q.arguments, { 'x-queue-type': 'quorum' })
    assert.equal(typeof q.leader, 'string')
    assert.deepEqual([q.members, q.online], [[q.leader], [q.leader]])
    const listed = ((await m.api('GET', `/api/queues/${v()}`)).json as Array<Record<string, unknown>>).find(
      (x) => x['name'] === 'qq1',
    )
    assert.equal(listed?.['type'], 'quorum')
    assert.deepEqual(listed?.['members'], [q.leader])
    if (!m.external) {
      const node = (await m.api('GET', '/api/overview')).json.node
      assert.equal(q.leader, node)
      const classic = await m.api('PUT', `/api/queues/${v()}/cq1`, { body: { durable: true } })
      assert.equal(classic.status, 201)
      const c = (await m.api('GET', `/api/queues/${v()}/cq1`)).json
      assert.deepEqual([c.type, c.leader, c.members], ['classic', undefined, undefined])
    }
  })

  test('refusals are 400 bad_request with the AMQP texts', async () => {
    const where = `for queue 'qq2' in vhost '${vh.name}'`
    const put = async (body: unknown): Promise<unknown> =>
      (await m.api('PUT', `/api/queues/${v()}/qq2`, { body })).json
    assert.deepEqual(await put({ arguments: { 'x-queue-type': 'quorum' } }), {
      error: 'bad_request',
      reason: `invalid property 'non-durable' ${where}`,
    })
    assert.deepEqual(
      await put({ durable: true, arguments: { 'x-queue-type': 'quorum', 'x-max-priority': 2 } }),
      {
        error: 'bad_request',
        reason: `invalid arg 'x-max-priority' ${where} of queue type rabbit_quorum_queue`,
      },
    )
    assert.equal((await m.api('PUT', `/api/queues/${v()}/qq2`, { body: quorum })).status, 201)
    const del = await m.api('DELETE', `/api/queues/${v()}/qq2?if-unused=true`)
    assert.equal(del.status, 400)
    assert.deepEqual(del.json, {
      error: 'bad_request',
      reason: `cannot delete queue 'qq2' in vhost '${vh.name}'. queue.delete operations with if-unused flag set are not supported by quorum queues`,
    })
    assert.equal((await m.api('DELETE', `/api/queues/${v()}/qq2`)).status, 204)
  })

  test('a definitions export and import keep the type', async () => {
    assert.equal((await m.api('PUT', `/api/queues/${v()}/qq3`, { body: quorum })).status, 201)
    const defs = (await m.api('GET', `/api/definitions/${v()}`)).json as { queues: Array<{ name: string }> }
    const exported = defs.queues.find((q) => q.name === 'qq3')
    assert.deepEqual(exported, {
      name: 'qq3',
      durable: true,
      auto_delete: false,
      arguments: { 'x-queue-type': 'quorum' },
    })
    assert.equal((await m.api('DELETE', `/api/queues/${v()}/qq3`)).status, 204)
    assert.equal(
      (await m.api('POST', `/api/definitions/${v()}`, { body: { queues: [exported] } })).status,
      204,
    )
    assert.equal((await m.api('GET', `/api/queues/${v()}/qq3`)).json.type, 'quorum')
  })

  test('policies: delivery-limit applies; a policy overflow wins over the x-overflow argument', async () => {
    const policy = async (name: string, pattern: string, definition: object): Promise<void> => {
      const body = { pattern, definition, 'apply-to': 'queues' }
      assert.equal((await m.api('PUT', `/api/policies/${v()}/${name}`, { body })).status, 201)
    }
    await policy('qq-limit', '^qq-limited$', { 'delivery-limit': 0 })
    await policy('qq-overflow', '^qq-full$', { overflow: 'reject-publish' })
    const conn = await m.connect(vh.name)
    const ch = await conn.createConfirmChannel()
    ch.on('error', () => {})
    await ch.assertQueue('qq-limited', quorum)
    await eventually(
      async () => (await m.api('GET', `/api/queues/${v()}/qq-limited`)).json.policy === 'qq-limit',
    )
    ch.sendToQueue('qq-limited', Buffer.from('once'))
    await ch.waitForConfirms()
    const m1 = await ch.get('qq-limited')
    assert.ok(m1)
    ch.nack(m1, false, true) // the first return is over a limit of 0: dropped
    await new Promise((r) => setTimeout(r, 100))
    assert.equal(await ch.get('qq-limited'), false)

    const args = { ...quorum.arguments, 'x-max-length': 1, 'x-overflow': 'drop-head' }
    await ch.assertQueue('qq-full', { durable: true, arguments: args })
    await eventually(
      async () => (await m.api('GET', `/api/queues/${v()}/qq-full`)).json.policy === 'qq-overflow',
    )
    const publish = (body: string): Promise<boolean> =>
      new Promise((resolve) => ch.sendToQueue('qq-full', Buffer.from(body), {}, (err) => resolve(!err)))
    const outcomes: boolean[] = []
    for (const b of ['1', '2', '3']) {
      outcomes.push(await publish(b))
      await new Promise((r) => setTimeout(r, 50))
    }
    // reject-publish (the policy's), not drop-head (the argument's).
    assert.deepEqual(outcomes, [true, true, false])
    const first = (await ch.get('qq-full', { noAck: true })) as amqp.GetMessage
    assert.equal(first.content.toString(), '1')
    await conn.close()
  })
})
