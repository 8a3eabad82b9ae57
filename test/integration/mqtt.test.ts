// MQTT 3.1.1 with a real client (MQTT.js) over TCP, against RabbitMQ's mapping: logins and their CONNACK
// codes, QoS 0 and 1, wildcards, MQTT and AMQP clients on amq.topic, retained messages, persistent
// sessions, last wills, client-id takeover, keepalive, and malformed input closing only its connection.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { connect as tcpConnect, type Socket } from 'node:net'
import { describe, test } from 'node:test'
import { promisify } from 'node:util'
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt'
import { amqp, eventually, useBroker } from '../helpers/broker.js'

const b = useBroker()
const url = (): string => `mqtt://127.0.0.1:${b.broker.mqttPort ?? 0}`
const opts: IClientOptions = { username: 'guest', password: 'guest', reconnectPeriod: 0 }

async function client(o: IClientOptions = {}): Promise<MqttClient> {
  return mqtt.connectAsync(url(), { ...opts, ...o })
}

interface Received {
  topic: string
  payload: string
  qos: number
  retain: boolean
}

function collect(c: MqttClient): Received[] {
  const got: Received[] = []
  c.on('message', (topic, payload, p) =>
    got.push({ topic, payload: payload.toString(), qos: p.qos, retain: p.retain }),
  )
  return got
}

/** The CONNACK return code a login gets (0: accepted). */
async function connackCode(o: IClientOptions): Promise<number> {
  try {
    const c = await mqtt.connectAsync(url(), { reconnectPeriod: 0, ...o })
    await c.endAsync()
    return 0
  } catch (err) {
    return (err as { code?: number }).code ?? -1
  }
}

const queues = (): Map<string, unknown> => b.broker.broker.vhosts.get('/')?.queues as Map<string, unknown>

describe('MQTT logins', () => {
  test('good credentials, anonymous and vhost:user are accepted; bad ones get CONNACK 4 or 5', async () => {
    const users = b.broker.users
    users.addUser('mq-user', 'secret')
    assert.equal(await connackCode({ username: 'guest', password: 'guest' }), 0)
    assert.equal(await connackCode({}), 0, 'anonymous logs in as the default user')
    assert.equal(await connackCode({ username: 'guest', password: 'wrong' }), 4)
    assert.equal(await connackCode({ username: 'nobody', password: 'x' }), 4)
    assert.equal(await connackCode({ username: 'no-such-vhost:guest', password: 'guest' }), 4)
    assert.equal(await connackCode({ username: '/:guest', password: 'guest' }), 0)
    assert.equal(await connackCode({ username: 'mq-user', password: 'secret' }), 5, 'no access to the vhost')
    assert.equal(await connackCode({ username: 'guest' }), 4, 'a username without a password')
  })
})

describe('MQTT publish and subscribe', () => {
  test('QoS 0 and QoS 1 with + and # wildcards, through the mqtt-subscription queues', async () => {
    const sub = await client({ clientId: 'sub-wild' })
    const got = collect(sub)
    const granted = await sub.subscribeAsync({
      'home/+/temp': { qos: 1 },
      'office/#': { qos: 0 },
      'x/y': { qos: 2 },
    })
    assert.deepEqual(
      granted.map((g) => g.qos),
      [1, 0, 1],
      'QoS 2 is granted as QoS 1',
    )
    assert.ok(queues().has('mqtt-subscription-sub-wildqos0'))
    assert.ok(queues().has('mqtt-subscription-sub-wildqos1'))
    const pub = await client()
    await pub.publishAsync('home/kitchen/temp', '21', { qos: 1 })
    await pub.publishAsync('home/kitchen/humidity', 'no', { qos: 1 })
    await pub.publishAsync('office/floor1/room2', 'hello', { qos: 0 })
    await pub.publishAsync('x/y', 'two', { qos: 2 })
    await eventually(() => got.length === 3)
    const sorted = [...got].sort((a, z) => a.topic.localeCompare(z.topic))
    assert.deepEqual(
      sorted.map((m) => [m.topic, m.payload, m.qos]),
      [
        ['home/kitchen/temp', '21', 1],
        ['office/floor1/room2', 'hello', 0],
        ['x/y', 'two', 1],
      ],
    )
    await sub.unsubscribeAsync('home/+/temp')
    await pub.publishAsync('home/hall/temp', '19', { qos: 1 })
    await new Promise((r) => setTimeout(r, 100))
    assert.equal(got.length, 3, 'no delivery after UNSUBSCRIBE')
    await pub.endAsync()
    await sub.endAsync()
    await eventually(() => !queues().has('mqtt-subscription-sub-wildqos1'))
  })

  test('MQTT to AMQP and AMQP to MQTT through amq.topic, / and . swapped', async () => {
    const conn = await amqp.connect(b.url)
    const ch = await conn.createChannel()
    const { queue } = await ch.assertQueue('', { exclusive: true })
    await ch.bindQueue(queue, 'amq.topic', 'sensors.*.temp')
    const sub = await client({ clientId: 'from-amqp' })
    const got = collect(sub)
    await sub.subscribeAsync('a/b', { qos: 1 })

    const pub = await client()
    await pub.publishAsync('sensors/s1/temp', 'mqtt→amqp', { qos: 1 })
    let m: amqp.GetMessage | false = false
    for (let i = 0; i < 100 && !m; i++) {
      m = await ch.get(queue, { noAck: true })
      if (!m) await new Promise((r) => setTimeout(r, 10))
    }
    assert.ok(m)
    assert.equal(m.content.toString(), 'mqtt→amqp')
    assert.equal(m.fields.routingKey, 'sensors.s1.temp')
    assert.equal(m.properties.deliveryMode, 2)
    assert.equal(m.properties.headers?.['x-mqtt-publish-qos'], 1)

    ch.publish('amq.topic', 'a.b', Buffer.from('amqp→mqtt'))
    await eventually(() => got.length === 1)
    assert.deepEqual(got[0], { topic: 'a/b', payload: 'amqp→mqtt', qos: 1, retain: false })
    await conn.close()
    await pub.endAsync()
    await sub.endAsync()
  })
})

describe('MQTT in the management API', () => {
  test('an MQTT connection is listed with its protocol and can be closed', async () => {
    const c = await client({ clientId: 'listed', keepalive: 30 })
    const auth = { authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}` }
    const res = await fetch(`${b.broker.httpUrl}api/connections`, { headers: auth })
    const list = (await res.json()) as Array<{
      name: string
      protocol: string
      user: string
      timeout: number
    }>
    const mine = list.find((x) => x.protocol === 'MQTT 3.1.1')
    assert.ok(mine, JSON.stringify(list))
    assert.equal(mine.user, 'guest')
    assert.equal(mine.timeout, 30)
    await c.subscribeAsync('listed/t', { qos: 1 })
    await c.publishAsync('listed/t', 'counted', { qos: 1 })
    const chans = (await (
      await fetch(`${b.broker.httpUrl}api/channels`, { headers: auth })
    ).json()) as Array<{
      name: string
      consumer_count: number
      prefetch_count: number
      message_stats?: { publish?: number }
    }>
    const chan = chans.find((x) => x.name === `${mine.name} (1)`)
    assert.ok(chan, 'the session is listed as the connection channel')
    assert.equal(chan.consumer_count, 1)
    assert.equal(chan.prefetch_count, 10)
    assert.equal(chan.message_stats?.publish, 1, 'the session counts its publishes')
    const consumers = (await (
      await fetch(`${b.broker.httpUrl}api/consumers`, { headers: auth })
    ).json()) as Array<{
      queue: { name: string }
    }>
    assert.ok(consumers.some((x) => x.queue.name === 'mqtt-subscription-listedqos1'))
    const closed = new Promise<void>((resolve) => c.once('close', () => resolve()))
    const del = await fetch(`${b.broker.httpUrl}api/connections/${encodeURIComponent(mine.name)}`, {
      method: 'DELETE',
      headers: auth,
    })
    assert.equal(del.status, 204)
    await closed
    c.end(true)
  })
})

describe('MQTT permissions', () => {
  test("Warren's permissions and topic permissions apply to MQTT publishes and subscriptions", async () => {
    const users = b.broker.users
    users.addUser('mq-limited', 'pw')
    users.setPermission('mq-limited', '/', { configure: '.*', write: '.*', read: '^mqtt-subscription-' })
    users.setTopicPermission('mq-limited', '/', { exchange: 'amq.topic', write: '^allowed\\.', read: '.*' })
    const c = await client({ username: 'mq-limited', password: 'pw', clientId: 'limited' })
    // MQTT.js turns SUBACK 0x80 into this error.
    await assert.rejects(c.subscribeAsync('any/topic', { qos: 1 }), /Subscribe error/)
    await c.publishAsync('allowed/x', 'ok', { qos: 1 })
    const closed = new Promise<void>((resolve) => c.once('close', () => resolve()))
    c.publish('denied/x', 'no', { qos: 1 }, () => {})
    await closed
    c.end(true)
  })
})

describe('MQTT retained messages, sessions and wills', () => {
  test('a retained message goes to later subscribers (wildcards too) until an empty one clears it', async () => {
    const pub = await client()
    await pub.publishAsync('status/door', 'open', { qos: 1, retain: true })
    const late = await client()
    const got = collect(late)
    await late.subscribeAsync('status/+', { qos: 1 })
    await eventually(() => got.length === 1)
    assert.deepEqual(got[0], { topic: 'status/door', payload: 'open', qos: 1, retain: true })
    await pub.publishAsync('status/door', '', { qos: 1, retain: true })
    const later = await client()
    const none = collect(later)
    await later.subscribeAsync('status/door', { qos: 1 })
    await new Promise((r) => setTimeout(r, 100))
    assert.equal(none.length, 0)
    await Promise.all([pub.endAsync(), late.endAsync(), later.endAsync()])
  })

  test('a persistent session (clean=false) keeps QoS 1 messages while disconnected; clean=true drops it', async () => {
    const first = await client({ clientId: 'keeper', clean: false })
    await first.subscribeAsync('jobs/#', { qos: 1 })
    await first.endAsync()
    assert.ok(queues().has('mqtt-subscription-keeperqos1'), 'the QoS 1 queue outlives the connection')

    const pub = await client()
    for (const n of [1, 2, 3]) await pub.publishAsync(`jobs/${n}`, `job ${n}`, { qos: 1 })
    await pub.endAsync()

    const again = mqtt.connect(url(), { ...opts, clientId: 'keeper', clean: false })
    const got = collect(again)
    const connack = await new Promise<{ sessionPresent: boolean }>((resolve) =>
      again.once('connect', resolve),
    )
    assert.equal(connack.sessionPresent, true)
    await eventually(() => got.length === 3)
    assert.deepEqual(
      got.map((m) => m.payload),
      ['job 1', 'job 2', 'job 3'],
    )
    await again.endAsync()

    const clean = await client({ clientId: 'keeper', clean: true })
    assert.ok(!queues().has('mqtt-subscription-keeperqos1'), 'a clean session deletes the old queue')
    await clean.endAsync()
  })

  test('an unacknowledged QoS 1 delivery comes again, with DUP, when the session resumes', async () => {
    const keeper = await client({ clientId: 'no-ack', clean: false })
    await keeper.subscribeAsync('unacked/t', { qos: 1 })
    await keeper.endAsync()
    const pub = await client()
    await pub.publishAsync('unacked/t', 'again', { qos: 1 })
    await pub.endAsync()
    // A raw client takes the delivery and leaves without its PUBACK.
    const s = await rawSocket()
    const first = readPublishes(s)
    s.write(rawConnect('no-ack', 0, false))
    await eventually(() => first.length === 1)
    assert.equal(first[0]?.dup, false)
    s.destroy()
    const s2 = await rawSocket()
    const second = readPublishes(s2)
    s2.write(rawConnect('no-ack', 0, false))
    await eventually(() => second.length === 1)
    assert.equal(second[0]?.dup, true)
    s2.end(Buffer.from([0xe0, 0]))
  })

  test('the last will is published on an abrupt disconnect, not after DISCONNECT', async () => {
    const watcher = await client()
    const got = collect(watcher)
    await watcher.subscribeAsync('wills/#', { qos: 1 })
    const will = { topic: 'wills/a', payload: Buffer.from('gone'), qos: 1 as const, retain: false }
    const polite = await client({ will: { ...will, topic: 'wills/polite' } })
    await polite.endAsync()
    const rude = await client({ will })
    rude.stream.destroy()
    await eventually(() => got.length === 1)
    assert.equal(got[0]?.topic, 'wills/a')
    assert.equal(got[0]?.payload, 'gone')
    await new Promise((r) => setTimeout(r, 100))
    assert.equal(got.length, 1, 'no will after DISCONNECT')
    rude.end(true)
    await watcher.endAsync()
  })

  test('a second connection with the same client id takes over; the first is closed', async () => {
    const first = await client({ clientId: 'twin' })
    const closed = new Promise<void>((resolve) => first.once('close', () => resolve()))
    const second = await client({ clientId: 'twin' })
    await closed
    const got = collect(second)
    await second.subscribeAsync('twin/t', { qos: 0 })
    await second.publishAsync('twin/t', 'still here', { qos: 0 })
    await eventually(() => got.length === 1)
    await second.endAsync()
    first.end(true)
  })
})

/** A raw MQTT 3.1.1 CONNECT with a keepalive and a client id. */
function rawConnect(clientId: string, keepalive: number, clean = true): Buffer {
  const id = Buffer.from(clientId)
  const body = Buffer.concat([
    Buffer.from([
      0,
      4,
      0x4d,
      0x51,
      0x54,
      0x54,
      4,
      clean ? 0x02 : 0,
      keepalive >> 8,
      keepalive & 0xff,
      0,
      id.length,
    ]),
    id,
  ])
  return Buffer.concat([Buffer.from([0x10, body.length]), body])
}

/** The PUBLISH packets a raw socket receives (assumes each arrives whole, enough for small tests). */
function readPublishes(s: Socket): Array<{ dup: boolean; qos: number }> {
  const got: Array<{ dup: boolean; qos: number }> = []
  s.on('data', (chunk: Buffer) => {
    let pos = 0
    while (pos + 1 < chunk.length) {
      const byte1 = chunk[pos] as number
      const len = chunk[pos + 1] as number // short packets only: one length byte
      if (byte1 >> 4 === 3) got.push({ dup: (byte1 & 8) !== 0, qos: (byte1 >> 1) & 3 })
      pos += 2 + len
    }
  })
  return got
}

function rawSocket(): Promise<Socket> {
  return new Promise((resolve) => {
    const s = tcpConnect(b.broker.mqttPort ?? 0, '127.0.0.1', () => resolve(s))
  })
}

function closedWithin(s: Socket): Promise<number> {
  const start = Date.now()
  return new Promise((resolve) => s.once('close', () => resolve(Date.now() - start)))
}

describe('MQTT connection health', () => {
  test('an unknown protocol level is refused with CONNACK 1', async () => {
    const s = await rawSocket()
    const reply = new Promise<Buffer>((resolve) => s.once('data', resolve))
    const connect = rawConnect('level6', 0)
    connect[8] = 6 // the protocol level byte
    s.write(connect)
    assert.deepEqual([...(await reply)], [0x20, 2, 0, 1])
    s.destroy()
  })

  test('a persistent session without a client id is refused with CONNACK 2', async () => {
    const s = await rawSocket()
    const reply = new Promise<Buffer>((resolve) => s.once('data', resolve))
    s.write(rawConnect('', 0, false))
    assert.deepEqual([...(await reply)], [0x20, 2, 0, 2])
    s.destroy()
  })

  test('a client silent for 1.5 keepalive periods is disconnected', async () => {
    const s = await rawSocket()
    const closed = closedWithin(s)
    s.on('data', () => {})
    s.write(rawConnect('sleepy', 1))
    const ms = await closed
    assert.ok(ms >= 1400 && ms < 3000, `closed after ${ms} ms`)
  })

  test('a resource alarm blocks an MQTT publisher after its next publish, until it clears', async () => {
    const sub = await client()
    const got = collect(sub)
    await sub.subscribeAsync('alarm/t', { qos: 0 })
    const pub = await client()
    b.broker.broker.setAlarm('memory', true)
    try {
      await pub.publishAsync('alarm/t', 'one', { qos: 1 })
      pub.publish('alarm/t', 'two', { qos: 0 })
      await eventually(() => got.length === 1)
      await new Promise((r) => setTimeout(r, 150))
      assert.deepEqual(
        got.map((m) => m.payload),
        ['one'],
        'the publish after the blocked one waits',
      )
    } finally {
      b.broker.broker.setAlarm('memory', false)
    }
    await eventually(() => got.length === 2)
    await Promise.all([pub.endAsync(), sub.endAsync()])
  })

  test('random bytes close only the connection that sent them', async () => {
    const healthy = await client({ clientId: 'healthy' })
    const got = collect(healthy)
    await healthy.subscribeAsync('fuzz/ok', { qos: 1 })
    for (let i = 0; i < 20; i++) {
      const s = await rawSocket()
      s.on('data', () => {})
      s.on('error', () => {})
      const closed = closedWithin(s)
      // Half the runs send a valid CONNECT first, so the garbage reaches an open session.
      if (i % 2 === 0) s.write(rawConnect(`fuzz-${i}`, 0))
      s.write(Buffer.concat([Buffer.from([0xf0 | (i & 0x0f), 0x05]), randomBytes(64)]))
      await closed
    }
    await healthy.publishAsync('fuzz/ok', 'fine', { qos: 1 })
    await eventually(() => got.length === 1)
    await healthy.endAsync()
  })
})

describe('MQTT with the mosquitto clients', () => {
  const run = promisify(execFile)
  test('mosquitto_pub reaches mosquitto_sub', async (t) => {
    try {
      await run('mosquitto_pub', ['--help']).catch((err: { code?: unknown }) => {
        if (err.code === 'ENOENT') throw err
      })
    } catch {
      t.skip('mosquitto-clients are not installed')
      return
    }
    const port = String(b.broker.mqttPort)
    const common = ['-h', '127.0.0.1', '-p', port, '-u', 'guest', '-P', 'guest', '-q', '1']
    const sub = run('mosquitto_sub', [
      ...common,
      '-i',
      'mosq-sub',
      '-t',
      'mosq/#',
      '-C',
      '1',
      '-v',
      '-W',
      '5',
    ])
    await eventually(() => queues().has('mqtt-subscription-mosq-subqos1'), 3000)
    await run('mosquitto_pub', [...common, '-t', 'mosq/hello', '-m', 'from mosquitto'])
    const { stdout } = await sub
    assert.equal(stdout.trim(), 'mosq/hello from mosquitto')
  })

  test('mosquitto_pub -V mqttv5 reaches mosquitto_sub -V mqttv5, with a user property', async (t) => {
    try {
      await run('mosquitto_pub', ['--help']).catch((err: { code?: unknown }) => {
        if (err.code === 'ENOENT') throw err
      })
    } catch {
      t.skip('mosquitto-clients are not installed')
      return
    }
    const port = String(b.broker.mqttPort)
    const common = ['-h', '127.0.0.1', '-p', port, '-u', 'guest', '-P', 'guest', '-q', '1', '-V', 'mqttv5']
    const sub = run('mosquitto_sub', [
      ...common,
      '-i',
      'mosq5-sub',
      '-t',
      'mosq5/#',
      '-C',
      '1',
      '-F',
      '%t %p %P',
      '-W',
      '5',
    ])
    await eventually(() => queues().has('mqtt-subscription-mosq5-subqos1'), 3000)
    await run('mosquitto_pub', [
      ...common,
      '-t',
      'mosq5/hi',
      '-m',
      'five',
      '-D',
      'publish',
      'user-property',
      'k',
      'v',
    ])
    const { stdout } = await sub
    assert.equal(stdout.trim(), 'mosq5/hi five k:v')
  })
})
