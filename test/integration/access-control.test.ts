// Every AMQP operation that RabbitMQ checks, against a permission that allows it and one that does not.
// RabbitMQ's rules: declare/delete need configure; queue.bind needs write on the queue and read on the
// exchange; exchange.bind write on the destination and read on the source; publish needs write on the
// exchange; get/consume/purge need read on the queue.
import assert from 'node:assert/strict'
import { before, describe, test } from 'node:test'
import { amqp, useBroker } from '../helpers/broker.js'

const ctx = useBroker()
const ALL = '.*'
const NONE = '^$'

interface Case {
  what: string
  /** Permission under test: [configure, write, read] when allowed; the denied variant clears `denied`. */
  denied: 'configure' | 'write' | 'read'
  /** The resource named in the refusal. */
  refused: string
  run(ch: amqp.Channel): Promise<unknown>
}

// Fixtures set up by guest: exchange 'ac.x', queue 'ac.q' bound to it.
const cases: Case[] = [
  {
    what: 'exchange.declare',
    denied: 'configure',
    refused: "exchange 'ac.new-x'",
    run: (ch) => ch.assertExchange('ac.new-x', 'direct', { autoDelete: true }),
  },
  {
    what: 'exchange.delete',
    denied: 'configure',
    refused: "exchange 'ac.del-x'",
    run: (ch) => ch.deleteExchange('ac.del-x'),
  },
  {
    what: 'queue.declare',
    denied: 'configure',
    refused: "queue 'ac.new-q'",
    run: (ch) => ch.assertQueue('ac.new-q', { autoDelete: true }),
  },
  {
    what: 'queue.delete',
    denied: 'configure',
    refused: "queue 'ac.del-q'",
    run: (ch) => ch.deleteQueue('ac.del-q'),
  },
  {
    what: 'queue.bind (write on queue)',
    denied: 'write',
    refused: "queue 'ac.q'",
    run: (ch) => ch.bindQueue('ac.q', 'ac.x', 'k2'),
  },
  {
    what: 'queue.bind (read on exchange)',
    denied: 'read',
    refused: "exchange 'ac.x'",
    run: (ch) => ch.bindQueue('ac.q', 'ac.x', 'k3'),
  },
  {
    what: 'exchange.bind (write on destination)',
    denied: 'write',
    refused: "exchange 'ac.x2'",
    run: (ch) => ch.bindExchange('ac.x2', 'ac.x', 'k'),
  },
  {
    what: 'basic.publish',
    denied: 'write',
    refused: "exchange 'ac.x'",
    run: async (ch) => {
      ch.publish('ac.x', 'k', Buffer.from('m'))
      await ch.checkQueue('ac.q')
    },
  },
  {
    what: 'basic.publish to the default exchange',
    denied: 'write',
    refused: "exchange 'amq.default'",
    run: async (ch) => {
      ch.sendToQueue('ac.q', Buffer.from('m'))
      await ch.checkQueue('ac.q')
    },
  },
  { what: 'basic.get', denied: 'read', refused: "queue 'ac.q'", run: (ch) => ch.get('ac.q') },
  {
    what: 'basic.consume',
    denied: 'read',
    refused: "queue 'ac.q'",
    run: (ch) => ch.consume('ac.q', () => {}),
  },
  { what: 'queue.purge', denied: 'read', refused: "queue 'ac.q'", run: (ch) => ch.purgeQueue('ac.q') },
]

async function outcome(url: string, run: (ch: amqp.Channel) => Promise<unknown>): Promise<string> {
  const conn = await amqp.connect(url)
  conn.on('error', () => {})
  try {
    const ch = await conn.createChannel()
    ch.on('error', () => {})
    await run(ch)
    return 'ok'
  } catch (err) {
    return (err as Error).message
  } finally {
    await conn.close().catch(() => {})
  }
}

describe('access control: every operation with and without the permission it needs', () => {
  before(async () => {
    const b = ctx.broker
    const conn = await amqp.connect(b.amqpUrl)
    const ch = await conn.createChannel()
    await ch.assertExchange('ac.x', 'direct')
    await ch.assertExchange('ac.x2', 'direct')
    await ch.assertQueue('ac.q')
    await ch.bindQueue('ac.q', 'ac.x', 'k')
    await conn.close()
    b.users.addUser('allowed', 'pw', [])
    b.users.setPermission('allowed', '/', { configure: ALL, write: ALL, read: ALL })
    for (const access of ['configure', 'write', 'read'] as const) {
      b.users.addUser(`no-${access}`, 'pw', [])
      b.users.setPermission(`no-${access}`, '/', { configure: ALL, write: ALL, read: ALL, [access]: NONE })
    }
  })

  const urlFor = (user: string): string => ctx.url.replace('guest:guest', `${user}:pw`)

  for (const c of cases) {
    test(`${c.what}: refused without ${c.denied}, allowed with it`, async () => {
      // Recreate what the allowed run deletes, so both runs see the same state.
      const setup = await amqp.connect(ctx.url)
      const sch = await setup.createChannel()
      await sch.assertExchange('ac.del-x', 'direct')
      await sch.assertQueue('ac.del-q')
      await setup.close()
      const denied = await outcome(urlFor(`no-${c.denied}`), c.run)
      assert.match(
        denied,
        new RegExp(
          `403 \\(ACCESS-REFUSED\\) with message "ACCESS_REFUSED - access to ${c.refused.replace(/[.*]/g, '\\$&')} in vhost '/' refused for user 'no-${c.denied}'"`,
        ),
      )
      assert.equal(await outcome(urlFor('allowed'), c.run), 'ok')
    })
  }

  test('a user without permissions on the vhost cannot open it: 530', async () => {
    ctx.broker.users.addUser('stranger', 'pw', [])
    const err = await amqp.connect(urlFor('stranger')).then(
      () => assert.fail('connected'),
      (e: Error) => e.message,
    )
    // amqplib reports only that connection.open was answered with connection.close (530, see raw-frames).
    assert.match(err, /Expected ConnectionOpenOk; got <ConnectionClose/)
  })

  test('regular expressions are unanchored, as in RabbitMQ; an empty one matches nothing', async () => {
    ctx.broker.users.addUser('partial', 'pw', [])
    ctx.broker.users.setPermission('partial', '/', { configure: 'mine', write: '', read: '' })
    assert.equal(
      await outcome(urlFor('partial'), (ch) => ch.assertQueue('ac.mine.q', { autoDelete: true })),
      'ok',
    )
    assert.match(
      await outcome(urlFor('partial'), (ch) => ch.assertQueue('ac.other', { autoDelete: true })),
      /ACCESS_REFUSED/,
    )
  })

  test('publishing: exchanges a channel wrote to are checked again once the permission changes', async () => {
    ctx.broker.users.addUser('switcher', 'pw', [])
    ctx.broker.users.setPermission('switcher', '/', { configure: ALL, write: ALL, read: ALL })
    const conn = await amqp.connect(urlFor('switcher'))
    conn.on('error', () => {})
    const ch = await conn.createConfirmChannel()
    ch.on('error', () => {})
    for (let i = 0; i < 4; i++) ch.publish(i % 2 ? 'amq.fanout' : 'amq.direct', 'k', Buffer.from('x'))
    await ch.waitForConfirms()
    ctx.broker.users.setPermission('switcher', '/', { configure: ALL, write: '^amq\\.direct$', read: ALL })
    ch.publish('amq.direct', 'k', Buffer.from('x'))
    await ch.waitForConfirms()
    const closed = new Promise<Error>((resolve) => {
      ch.once('error', resolve)
      setTimeout(() => resolve(new Error('the publish was not refused')), 2000).unref()
    })
    ch.publish('amq.fanout', 'k', Buffer.from('x'))
    assert.match((await closed).message, /ACCESS_REFUSED - access to exchange 'amq.fanout' in vhost '\/'/)
    await conn.close().catch(() => {})
  })
})
