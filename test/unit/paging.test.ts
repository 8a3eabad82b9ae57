// Paging under memory pressure, on the core with the reference memory store: a non-durable queue keeps
// everything in memory until the broker is short of memory, then moves what lies beyond its 4096-message
// window to its paging store, and takes new messages straight there; order, redelivered flags, purges and
// deletion come out as they would without paging.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Broker, Message, type Queue, type QueueStore } from '../../src/core/index.js'
import { ManualClock, silentLogger } from '../../src/shared/index.js'
import { createMemoryStore, DeferredQueueStore } from '../../src/store/index.js'

function setup(): { broker: Broker; queue: Queue; stores: Map<Queue, QueueStore>; destroyed: Queue[] } {
  const broker = new Broker(new ManualClock(), silentLogger, { maxMessageSize: 1 << 20 })
  const paging = createMemoryStore()
  const stores = new Map<Queue, QueueStore>()
  const destroyed: Queue[] = []
  broker.durability = {
    storeFor: () => {
      throw new Error('the queues of this test are not durable')
    },
    definitionsChanged: () => undefined,
    exchangeStoreFor: () => {
      throw new Error('the exchanges of this test keep nothing')
    },
    exchangeDeleted: () => undefined,
    queueDeleted: (q) => {
      destroyed.push(q)
      void stores.get(q)?.destroy()
    },
    pagingStoreFor: (q) => {
      let s = stores.get(q)
      if (!s) stores.set(q, (s = new DeferredQueueStore(paging.openQueue(q.vhost, q.name))))
      return s
    },
  }
  const v = broker.addVhost('/')
  const queue = v.declareQueue(
    { name: 'q', passive: false, durable: false, exclusiveOwner: undefined, autoDelete: false, args: {} },
    1,
  )
  return { broker, queue, stores, destroyed }
}

const publish = (broker: Broker, from: number, to: number): void => {
  const v = broker.vhost('/')
  for (let i = from; i < to; i++)
    v.publish(v.getExchange(''), new Message('', 'q', {}, Buffer.from(String(i))))
}

/** Takes every ready message with basic.get semantics, waiting for page-ins; returns bodies. */
async function drain(q: Queue): Promise<string[]> {
  const out: string[] = []
  for (;;) {
    if (q.waitingForPageIn) await q.pageIn()
    const got = q.get(true)
    if (!got) return out
    out.push(`${got.entry.message.body.toString()}${got.entry.redelivered ? 'r' : ''}`)
  }
}

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !cond(); i++) await new Promise((r) => setImmediate(r))
  assert.ok(cond())
}

test('memory pressure pages a non-durable queue out beyond its window; order and flags survive', async () => {
  const { broker, queue } = setup()
  publish(broker, 0, 40_000)
  assert.equal(queue.pagedOutCount, 0, 'no pressure, no paging')
  broker.setMemoryPressure(true)
  await until(() => queue.pagedOutCount === 40_000 - 4096)
  publish(broker, 40_000, 41_000)
  assert.equal(queue.pagedOutCount, 40_000 - 4096 + 1000, 'new messages go straight to disk')
  const taken = [queue.get(false), queue.get(false)].map((t) => t?.entry)
  queue.requeue(taken.filter((e) => e !== undefined))
  broker.setMemoryPressure(false)
  const bodies = await drain(queue)
  assert.equal(bodies.length, 41_000)
  assert.deepEqual(bodies.slice(0, 3), ['0r', '1r', '2'])
  assert.deepEqual(
    bodies.map((b) => Number.parseInt(b, 10)),
    Array.from({ length: 41_000 }, (_, i) => i),
  )
})

test('a purge empties the paging store; deleting the queue drops it', async () => {
  const { broker, queue, stores, destroyed } = setup()
  publish(broker, 0, 10_000)
  broker.setMemoryPressure(true)
  await until(() => queue.pagedOutCount > 0)
  const store = stores.get(queue)
  assert.ok(store)
  assert.equal(store.stats().messages, 10_000 - 4096)
  assert.equal(queue.purge(), 10_000)
  assert.equal(store.stats().messages, 0)
  publish(broker, 0, 5000)
  broker.vhost('/').removeQueue(queue)
  assert.deepEqual(destroyed, [queue])
})
