// The core without TCP: a broker, a vhost, exchanges and queues in memory on a manual clock, driven
// through the protocol-neutral Session as a front end drives it, with consumers implemented right here.
// Routing, dispatch, TTL, dead-lettering and the settle paths are checked directly; the integration
// tests over TCP check the same behaviour through real clients.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { PermissionAuthorizer, UserRegistry } from '../../src/auth/index.js'
import {
  Broker,
  type Consumer,
  type Exchange,
  Message,
  type Queue,
  type QueueEntry,
  Session,
} from '../../src/core/index.js'
import { type BasicProperties, ManualClock, silentLogger } from '../../src/shared/index.js'

interface World {
  clock: ManualClock
  broker: Broker
  session: Session
  users: UserRegistry
}

function world(permission = { configure: '.*', write: '.*', read: '.*' }): World {
  const clock = new ManualClock(1_000_000)
  const broker = new Broker(clock, silentLogger, { maxMessageSize: 1 << 20 })
  const vhost = broker.addVhost('/')
  const users = new UserRegistry()
  users.addUser('app', 'secret', [])
  users.setPermission('app', '/', permission)
  const session = new Session({
    vhost,
    user: 'app',
    authz: new PermissionAuthorizer(users),
    connection: 'test',
    channel: 1,
    node: 'test',
    maxMessageSize: 1 << 20,
  })
  return { clock, broker, session, users }
}

function declare(w: World, name: string, args: Record<string, unknown> = {}): Queue {
  const d = { name, passive: false, durable: false, exclusiveOwner: undefined, autoDelete: false }
  return w.session.declareQueue({ ...d, args: args as Queue['args'] }, 1).queue
}

function publish(w: World, exchange: string, key: string, body: string, props: BasicProperties = {}): number {
  const ex: Exchange = w.session.exchangeForPublish(exchange, key)
  w.session.validate(props)
  return w.session.publish(ex, new Message(ex.name, key, props, Buffer.from(body)), false, false).queues
}

/** A consumer that takes up to `prefetch` unacked messages and records what it got. */
class TestConsumer implements Consumer {
  readonly got: Array<{ body: string; redelivered: boolean; entry: QueueEntry }> = []
  readonly exclusive = false
  readonly owner = { connectionId: 1 }
  unacked = 0
  constructor(
    readonly tag: string,
    readonly prefetch = Infinity,
    readonly priority = 0,
    readonly noAck = false,
  ) {}
  canTake(): boolean {
    return this.noAck || this.unacked < this.prefetch
  }
  socketBound(): boolean {
    return false
  }
  deliver(_q: Queue, entry: QueueEntry): void {
    if (!this.noAck) this.unacked++
    this.got.push({ body: entry.message.body.toString(), redelivered: entry.redelivered, entry })
  }
  cancelledByQueue(): void {}
  bodies(): string[] {
    return this.got.map((g) => g.body)
  }
}

/** Every ready message of a queue, taken with basic.get semantics (no ack). */
function drain(q: Queue): string[] {
  const out: string[] = []
  for (let t = q.get(true); t; t = q.get(true)) out.push(t.entry.message.body.toString())
  return out
}

test('routing: direct, topic, fanout and headers exchanges, exchange-to-exchange, alternate exchange', () => {
  const w = world()
  const [a, b, c, other] = ['a', 'b', 'c', 'other'].map((n) => declare(w, n)) as [Queue, Queue, Queue, Queue]
  w.session.bindQueue('a', 'amq.direct', 'k', {}, 1)
  w.session.bindQueue('b', 'amq.topic', 'orders.*', {}, 1)
  w.session.bindQueue('c', 'amq.headers', '', { 'x-match': 'any', kind: 'x' }, 1)
  w.session.declareExchange({
    name: 'ae-source',
    type: 'direct',
    passive: false,
    durable: false,
    autoDelete: false,
    internal: false,
    args: { 'alternate-exchange': 'amq.fanout' },
  })
  w.session.bindQueue('other', 'amq.fanout', '', {}, 1)
  w.session.bindExchange('amq.topic', 'amq.direct', 'k', {})
  assert.equal(publish(w, 'amq.direct', 'k', 'direct'), 1) // a only: amq.topic has no 'k' binding
  assert.equal(publish(w, 'amq.topic', 'orders.new', 'topic'), 1)
  assert.equal(publish(w, 'amq.headers', '', 'headers', { headers: { kind: 'x' } }), 1)
  assert.equal(publish(w, 'ae-source', 'nothing-bound', 'alternate'), 1)
  assert.equal(publish(w, '', 'a', 'default'), 1)
  assert.deepEqual(
    [drain(a), drain(b), drain(c), drain(other)],
    [['direct', 'default'], ['topic'], ['headers'], ['alternate']],
  )
})

test('dispatch: consumer priority first, round-robin among equals, prefetch respected', () => {
  const w = world()
  const q = declare(w, 'work')
  const low = new TestConsumer('low', Infinity, 0)
  const [h1, h2] = [new TestConsumer('h1', 2, 5), new TestConsumer('h2', 2, 5)]
  for (const c of [low, h1, h2]) q.addConsumer(c)
  for (let i = 0; i < 6; i++) publish(w, '', 'work', `m${i}`)
  assert.deepEqual(h1.bodies(), ['m0', 'm2'])
  assert.deepEqual(h2.bodies(), ['m1', 'm3'])
  assert.deepEqual(low.bodies(), ['m4', 'm5'])
})

test('settle: requeued messages go back to their place, flagged redelivered; acked ones are gone', () => {
  const w = world()
  const q = declare(w, 'settle')
  const c = new TestConsumer('c', 2)
  q.addConsumer(c)
  for (let i = 0; i < 4; i++) publish(w, '', 'settle', `m${i}`)
  const [first, second] = c.got.map((g) => g.entry) as [QueueEntry, QueueEntry]
  q.removeConsumer(c)
  q.settle(first)
  q.requeue([second])
  assert.equal(q.unackedCount, 0)
  const get = q.get(true)
  assert.deepEqual([get?.entry.message.body.toString(), get?.entry.redelivered], ['m1', true])
  assert.deepEqual(drain(q), ['m2', 'm3'])
})

test('TTL and dead-lettering: expired and rejected messages reach the dead-letter queue with x-death', () => {
  const w = world()
  const dlq = declare(w, 'dead')
  const q = declare(w, 'ttl', {
    'x-message-ttl': 1000,
    'x-dead-letter-exchange': '',
    'x-dead-letter-routing-key': 'dead',
  })
  publish(w, '', 'ttl', 'expires')
  w.clock.advance(999)
  assert.equal(q.readyCount, 1)
  w.clock.advance(1)
  assert.equal(q.readyCount, 0)
  publish(w, '', 'ttl', 'rejected')
  const taken = q.get(false)
  assert.ok(taken)
  q.discard([taken.entry])
  const deaths = [dlq.get(true), dlq.get(true)].map((t) => {
    const d = (t?.entry.message.properties.headers?.['x-death'] as Array<Record<string, unknown>>)[0]
    return [t?.entry.message.body.toString(), d?.['reason'], d?.['queue']]
  })
  assert.deepEqual(deaths, [
    ['expires', 'expired', 'ttl'],
    ['rejected', 'rejected', 'ttl'],
  ])
})

test('the session checks permissions and properties as basic.publish does', () => {
  const w = world({ configure: '^own-', write: '^amq\\.default$', read: '.*' })
  assert.throws(() => declare(w, 'foreign'), /ACCESS_REFUSED|access to queue 'foreign'/)
  declare(w, 'own-q')
  assert.throws(() => w.session.exchangeForPublish('amq.direct', 'k'), /access to exchange 'amq.direct'/)
  assert.equal(publish(w, '', 'own-q', 'ok'), 1)
  assert.throws(() => w.session.validate({ expiration: '10s' }), /invalid expiration '10s'/)
  assert.throws(() => w.session.validate({ userId: 'someone' }), /user_id property set to 'someone'/)
  assert.throws(() => w.session.exchangeForPublish('amq.rabbitmq.trace', 'k'), /internal exchange|access to/)
  assert.equal(w.session.stats.publish, 1)
})
