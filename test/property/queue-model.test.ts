// Model-based test of one classic queue, through amqplib over TCP against an in-process Warren on a
// ManualClock: random runs of publish (with queue and message TTLs), basic.get (no-ack and ack), consume
// and cancel, ack/nack/reject (single and multiple, requeue or not), basic.recover and clock advances,
// checked after every step against a small model of RabbitMQ 3.10's semantics:
// - ready messages are kept in publish order; a requeued message goes back to its original place,
//   flagged redelivered, and keeps its original expiry;
// - a message expires at min(x-message-ttl, expiration) after publish, but only leaves from the head:
//   whenever the queue acts (a timer for the head, a basic.get, a delivery, a requeue) it first drops
//   expired messages at the head, and after basic.get or a delivery takes the head it drops the newly
//   exposed ones (RabbitMQ's fetch ends with drop_expired_msgs, which also re-arms the head's timer);
// - a message published while a consumer can take it is delivered at once, even with TTL 0;
// - delivery tags count every basic.get-ok and basic.deliver of the channel; per-consumer prefetch
//   limits the consumer's unacked deliveries;
// - basic.get-ok's message count and queue.declare's count are the ready messages.
// Seeded (FC_SEED, FC_RUNS, and FC_PATH to replay a reported path, override it); 40 runs of up to 40
// steps take a few seconds.
//
// With WARREN_TEST_URL set, the same model is checked against that broker (the reference RabbitMQ) in
// real time instead: every TTL and clock step is scaled to SCALE ms per model unit, and TTLs sit halfway
// between clock steps so that the few milliseconds each step takes can never decide an expiry (8 runs,
// about 5 s). This is how the model itself was validated (120 runs over four seeds, all passing).
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import amqp from 'amqplib'
import fc from 'fast-check'
import { ManualClock, type RunningBroker, startBroker } from '../../src/index.js'

const EXTERNAL = process.env['WARREN_TEST_URL']
const SCALE = EXTERNAL === undefined ? 1 : 30

type Op =
  | { t: 'publish'; ttl: number | undefined }
  | { t: 'get'; noAck: boolean }
  | { t: 'consume'; noAck: boolean; prefetch: number }
  | { t: 'cancel' }
  | { t: 'ack'; pick: number; multiple: boolean }
  | { t: 'nack'; pick: number; multiple: boolean; requeue: boolean }
  | { t: 'reject'; pick: number; requeue: boolean }
  | { t: 'recover' }
  | { t: 'advance'; ms: number }

// On the manual clock expiries may fall exactly on a step (expired when now >= expiry, as in RabbitMQ).
const ttl =
  EXTERNAL === undefined
    ? fc.constantFrom(undefined, undefined, 0, 10, 30, 80)
    : fc.constantFrom(undefined, undefined, 0, 5, 25, 85)
const steps = EXTERNAL === undefined ? fc.constantFrom(5, 15, 40, 100) : fc.constantFrom(10, 20)
const queueTtls =
  EXTERNAL === undefined
    ? fc.constantFrom(undefined, undefined, 20, 50)
    : fc.constantFrom(undefined, undefined, 15, 45)
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ t: fc.constant('publish' as const), ttl }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('get' as const), noAck: fc.boolean() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      t: fc.constant('consume' as const),
      noAck: fc.boolean(),
      prefetch: fc.integer({ min: 1, max: 3 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('cancel' as const) }) },
  {
    weight: 3,
    arbitrary: fc.record({ t: fc.constant('ack' as const), pick: fc.nat(), multiple: fc.boolean() }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('nack' as const),
      pick: fc.nat(),
      multiple: fc.boolean(),
      requeue: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ t: fc.constant('reject' as const), pick: fc.nat(), requeue: fc.boolean() }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('recover' as const) }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('advance' as const), ms: steps }) },
)

interface Entry {
  readonly id: number
  readonly expiresAt: number
  redelivered: boolean
}

interface Delivery {
  id: number
  redelivered: boolean
  tag: number
}

/** The queue and channel as RabbitMQ would have them. */
class Model {
  ready: Entry[] = []
  /** Unacked deliveries by tag, with the consumer that got each (0 for basic.get). */
  unacked = new Map<number, { entry: Entry; owner: number }>()
  consumer: { id: number; noAck: boolean; prefetch: number } | undefined
  deliveries: Delivery[] = []
  private nextId = 0
  private tag = 0
  private consumers = 0

  constructor(
    private readonly queueTtl: number | undefined,
    public now: number,
  ) {}

  publish(messageTtl: number | undefined): number {
    const id = this.nextId++
    const ttls = [this.queueTtl, messageTtl].filter((x): x is number => x !== undefined)
    const entry: Entry = {
      id,
      expiresAt: ttls.length ? this.now + Math.min(...ttls) : Infinity,
      redelivered: false,
    }
    if (this.ready.length === 0 && this.consumerHasRoom()) this.deliver(entry)
    else {
      this.ready.push(entry)
      this.dropExpired()
    }
    return id
  }

  get(noAck: boolean): { id: number; redelivered: boolean; messageCount: number } | false {
    this.dropExpired()
    const entry = this.ready.shift()
    if (!entry) return false
    const tag = ++this.tag
    if (!noAck) this.unacked.set(tag, { entry, owner: 0 })
    this.dropExpired()
    return { id: entry.id, redelivered: entry.redelivered, messageCount: this.ready.length }
  }

  consume(noAck: boolean, prefetch: number): void {
    this.consumer = { id: ++this.consumers, noAck, prefetch }
    this.dispatch()
  }

  /** The tags an ack/nack of the picked unacked delivery covers; undefined when nothing is unacked. */
  pick(pick: number, multiple: boolean): { tag: number; tags: number[] } | undefined {
    const tags = [...this.unacked.keys()].sort((a, b) => a - b)
    if (tags.length === 0) return undefined
    const tag = tags[pick % tags.length] as number
    return { tag, tags: multiple ? tags.filter((x) => x <= tag) : [tag] }
  }

  settle(tags: number[], requeue: boolean): void {
    const entries = tags.map((t) => (this.unacked.get(t) as { entry: Entry }).entry)
    for (const t of tags) this.unacked.delete(t)
    if (requeue) this.requeue(entries)
    this.dispatch()
  }

  recover(): void {
    this.settle([...this.unacked.keys()], true)
  }

  advance(ms: number): void {
    this.now += ms
    this.dropExpired()
    this.dispatch()
  }

  private requeue(entries: Entry[]): void {
    for (const e of entries) {
      e.redelivered = true
      let at = this.ready.length
      while (at > 0 && (this.ready[at - 1] as Entry).id > e.id) at--
      this.ready.splice(at, 0, e)
    }
    this.dropExpired()
  }

  private consumerHasRoom(): boolean {
    const c = this.consumer
    if (!c) return false
    if (c.noAck) return true
    let n = 0
    for (const u of this.unacked.values()) if (u.owner === c.id) n++
    return n < c.prefetch
  }

  private dispatch(): void {
    for (;;) {
      this.dropExpired()
      if (this.ready.length === 0 || !this.consumerHasRoom()) return
      this.deliver(this.ready.shift() as Entry)
    }
  }

  private deliver(entry: Entry): void {
    const c = this.consumer as { id: number; noAck: boolean }
    const tag = ++this.tag
    if (!c.noAck) this.unacked.set(tag, { entry, owner: c.id })
    this.deliveries.push({ id: entry.id, redelivered: entry.redelivered, tag })
  }

  private dropExpired(): void {
    while (this.ready.length > 0 && (this.ready[0] as Entry).expiresAt <= this.now) this.ready.shift()
  }
}

const clock = new ManualClock(1_000_000)
const state: { broker?: RunningBroker; conn?: amqp.ChannelModel } = {}
before(async () => {
  if (EXTERNAL === undefined) {
    state.broker = await startBroker({ amqpPort: 0, bind: '127.0.0.1', logLevel: 'silent', clock })
  }
  // noDelay: without it each publish step waits ~40 ms for Nagle, which real-time TTLs would notice.
  state.conn = await amqp.connect(EXTERNAL ?? (state.broker as RunningBroker).amqpUrl, { noDelay: true })
})
after(async () => {
  await state.conn?.close()
  await state.broker?.close()
})

/**
 * queue.declare's counts. RabbitMQ's queue process answers the stat call before messages already sent to
 * it (gen_server2 prioritises it), so against an external broker a lagging answer is asked again.
 */
async function counts(
  ch: amqp.Channel,
  queue: string,
  want: { messageCount: number; consumerCount: number },
): Promise<{ messageCount: number; consumerCount: number }> {
  const deadline = Date.now() + (EXTERNAL === undefined ? 0 : 200)
  for (;;) {
    const { messageCount, consumerCount } = await ch.checkQueue(queue)
    const got = { messageCount, consumerCount }
    if (
      Date.now() >= deadline ||
      (messageCount === want.messageCount && consumerCount === want.consumerCount)
    )
      return got
    await new Promise((r) => setTimeout(r, 5))
  }
}

const tagged = (tag: number): amqp.Message => ({ fields: { deliveryTag: tag } }) as amqp.Message

/** Runs one sequence of operations against a fresh queue, checking after every step. */
async function run(queueTtl: number | undefined, ops: readonly Op[]): Promise<void> {
  // Confirms are only a barrier: once a publish is confirmed, its queue has it.
  const ch = await (state.conn as amqp.ChannelModel).createConfirmChannel()
  const args = queueTtl === undefined ? {} : { 'x-message-ttl': queueTtl * SCALE }
  const { queue } = await ch.assertQueue('', { exclusive: true, arguments: args })
  const model = new Model(queueTtl, clock.now())
  const got: Delivery[] = []
  let consumerTag: string | undefined
  const log: string[] = []
  try {
    for (const o of ops) {
      log.push(JSON.stringify(o))
      await step(ch, queue, o, model, got, {
        get: () => consumerTag,
        set: (t) => (consumerTag = t),
      })
      await ch.waitForConfirms()
      await ch.checkExchange('amq.direct') // a round trip: everything before it has been handled
      const deadline = Date.now() + 500
      while (got.length < model.deliveries.length && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 2))
      assert.deepEqual(got, model.deliveries, `deliveries after ${log.join(' ')}`)
      const want = { messageCount: model.ready.length, consumerCount: model.consumer ? 1 : 0 }
      assert.deepEqual(await counts(ch, queue, want), want, `queue.declare counts after ${log.join(' ')}`)
    }
  } finally {
    await ch.close().catch(() => {})
    const cleanup = await (state.conn as amqp.ChannelModel).createChannel()
    await cleanup.deleteQueue(queue)
    await cleanup.close()
  }
}

async function step(
  ch: amqp.ConfirmChannel,
  queue: string,
  o: Op,
  model: Model,
  got: Delivery[],
  tag: { get(): string | undefined; set(t: string | undefined): void },
): Promise<void> {
  switch (o.t) {
    case 'publish': {
      const id = model.publish(o.ttl)
      ch.sendToQueue(
        queue,
        Buffer.from(String(id)),
        o.ttl === undefined ? {} : { expiration: String(o.ttl * SCALE) },
      )
      return
    }
    case 'get': {
      const want = model.get(o.noAck)
      const m = await ch.get(queue, { noAck: o.noAck })
      const seen = m && {
        id: Number(m.content.toString()),
        redelivered: m.fields.redelivered,
        messageCount: m.fields.messageCount,
      }
      assert.deepEqual(seen, want, `basic.get noAck=${o.noAck}`)
      return
    }
    case 'consume': {
      if (model.consumer) return
      await ch.prefetch(o.prefetch, false)
      const ok = await ch.consume(
        queue,
        (m) => {
          if (m)
            got.push({
              id: Number(m.content.toString()),
              redelivered: m.fields.redelivered,
              tag: m.fields.deliveryTag,
            })
        },
        { noAck: o.noAck },
      )
      tag.set(ok.consumerTag)
      model.consume(o.noAck, o.prefetch)
      return
    }
    case 'cancel': {
      const t = tag.get()
      if (!t) return
      await ch.cancel(t)
      tag.set(undefined)
      model.consumer = undefined
      return
    }
    case 'ack':
    case 'nack':
    case 'reject': {
      const picked = model.pick(o.pick, o.t !== 'reject' && o.multiple)
      if (!picked) return
      const requeue = o.t !== 'ack' && o.requeue
      if (o.t === 'ack') ch.ack(tagged(picked.tag), o.multiple)
      else if (o.t === 'nack') ch.nack(tagged(picked.tag), o.multiple, o.requeue)
      else ch.reject(tagged(picked.tag), o.requeue)
      model.settle(picked.tags, requeue)
      return
    }
    case 'recover':
      await ch.recover()
      model.recover()
      return
    case 'advance':
      await ch.checkExchange('amq.direct') // publishes before the advance are stamped with the old time
      if (EXTERNAL === undefined) clock.advance(o.ms)
      else await new Promise((r) => setTimeout(r, o.ms * SCALE))
      model.advance(o.ms)
      return
  }
}

test('a classic queue behaves like the model under random publish/get/consume/ack/nack/reject/TTL runs', async () => {
  const seed = process.env['FC_SEED'] === undefined ? 20260520 : Number(process.env['FC_SEED'])
  const external = EXTERNAL !== undefined
  await fc.assert(
    fc.asyncProperty(
      queueTtls,
      fc.array(op, { minLength: 5, maxLength: external ? 25 : 40, size: 'max' }),
      run,
    ),
    {
      seed,
      ...(process.env['FC_PATH'] === undefined ? {} : { path: process.env['FC_PATH'], endOnFailure: true }),
      numRuns: process.env['FC_RUNS'] === undefined ? (external ? 8 : 40) : Number(process.env['FC_RUNS']),
      interruptAfterTimeLimit: external ? 60_000 : 15_000,
      verbose: 1,
    },
  )
})
