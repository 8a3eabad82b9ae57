// MQTT 5's topic aliases (both ways), subscription identifiers and shared subscriptions, with MQTT.js
// (protocolVersion 5) and, for what MQTT.js will not send (an invalid alias, a subscriber that never
// acknowledges), a raw MQTT 5 client.
import assert from 'node:assert/strict'
import { connect as tcpConnect, type Socket } from 'node:net'
import { describe, test } from 'node:test'
import mqtt, { type IClientOptions, type IConnackPacket, type MqttClient } from 'mqtt'
import { startBroker } from '../../src/index.js'
import { eventually, useBroker } from '../helpers/broker.js'

const b = useBroker()
const url = (): string => `mqtt://127.0.0.1:${b.broker.mqttPort ?? 0}`
const opts: IClientOptions = { username: 'guest', password: 'guest', reconnectPeriod: 0, protocolVersion: 5 }

async function client(o: IClientOptions = {}): Promise<{ c: MqttClient; connack: IConnackPacket }> {
  const c = mqtt.connect(url(), { ...opts, ...o })
  const connack = await new Promise<IConnackPacket>((resolve, reject) => {
    c.once('connect', resolve)
    c.once('error', reject)
  })
  return { c, connack }
}

/** The messages a client gets: topic, payload and subscription identifiers. */
function collect(c: MqttClient): Array<{ topic: string; body: string; ids: number[] | undefined }> {
  const got: Array<{ topic: string; body: string; ids: number[] | undefined }> = []
  c.on('message', (topic, payload, packet) => {
    const ids = packet.properties?.subscriptionIdentifier
    got.push({ topic, body: payload.toString(), ids: ids === undefined ? undefined : [ids].flat() })
  })
  return got
}

const queueNames = (): string[] => [...(b.broker.broker.vhosts.get('/')?.queues.keys() ?? [])]

describe('MQTT 5 topic aliases', () => {
  test('the CONNACK offers 16 aliases, subscription identifiers and shared subscriptions', async () => {
    const { c, connack } = await client()
    assert.equal(connack.properties?.topicAliasMaximum, 16)
    assert.equal(connack.properties?.subscriptionIdentifiersAvailable, true)
    assert.equal(connack.properties?.sharedSubscriptionAvailable, true)
    await c.endAsync()
  })

  test('a client sets an alias with a topic and publishes with the alias alone', async () => {
    const { c: sub } = await client()
    const got = collect(sub)
    await sub.subscribeAsync('alias/#', { qos: 1 })
    const { c: pub } = await client({ autoUseTopicAlias: true })
    const sent: Array<{ topic: string; alias: number | undefined }> = []
    pub.on('packetsend', (p) => {
      if (p.cmd === 'publish') sent.push({ topic: p.topic.toString(), alias: p.properties?.topicAlias })
    })
    await pub.publishAsync('alias/one', 'a', { qos: 1, properties: { topicAlias: 3 } })
    await pub.publishAsync('alias/one', 'b', { qos: 1 })
    await pub.publishAsync('alias/two', 'c', { qos: 0 })
    await pub.publishAsync('alias/one', 'd', { qos: 0 })
    await eventually(() => got.length === 4)
    assert.deepEqual(
      sent.map((s) => `${s.topic}@${s.alias}`),
      ['alias/one@3', '@3', 'alias/two@undefined', '@3'],
      'the publisher sent the alias alone after setting it',
    )
    assert.deepEqual(
      got.map((g) => `${g.topic}=${g.body}`),
      ['alias/one=a', 'alias/one=b', 'alias/two=c', 'alias/one=d'],
    )
    await Promise.all([sub.endAsync(), pub.endAsync()])
  })

  test('an alias above the maximum or 0 is DISCONNECT 0x94; an unknown one 0x82', async () => {
    for (const [alias, topic, reason] of [
      [17, 't', 0x94],
      [0, 't', 0x94],
      [5, '', 0x82],
    ] as const) {
      const s = await rawClient(`alias-bad-${alias}`)
      const closed = new Promise((resolve) => s.socket.once('close', resolve))
      s.socket.write(rawPublish(topic, 0, Buffer.from([0x23, alias >> 8, alias & 0xff])))
      await closed
      assert.deepEqual([...Buffer.concat(s.received).subarray(-3)], [0xe0, 1, reason], `alias ${alias}`)
    }
  })

  test('mqtt.topic_alias_maximum = 0: no aliases offered, and one used is DISCONNECT 0x94', async () => {
    const off = await startBroker({
      amqpPort: 0,
      bind: '127.0.0.1',
      logLevel: 'silent',
      mqttTopicAliasMaximum: 0,
    })
    try {
      const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${off.mqttPort ?? 0}`, {
        ...opts,
        properties: { topicAliasMaximum: 5 },
      })
      const raw: Array<number | undefined> = []
      c.on('packetreceive', (p) => {
        if (p.cmd === 'publish') raw.push(p.properties?.topicAlias)
      })
      await c.subscribeAsync('off/#', { qos: 0 })
      await c.publishAsync('off/a', 'x', { qos: 1 })
      await eventually(() => raw.length === 1)
      assert.deepEqual(raw, [undefined], 'no alias given even to a client that takes them')
      await c.endAsync()
      const s = await rawClient('alias-off', off.mqttPort ?? 0)
      const closed = new Promise((resolve) => s.socket.once('close', resolve))
      s.socket.write(rawPublish('t', 0, Buffer.from([0x23, 0, 1])))
      await closed
      assert.deepEqual([...Buffer.concat(s.received).subarray(-3)], [0xe0, 1, 0x94])
    } finally {
      await off.close()
    }
  })

  test('Warren gives the topics it sends aliases, up to the client’s maximum', async () => {
    const { c: sub } = await client({ properties: { topicAliasMaximum: 2 } })
    const raw: string[] = []
    sub.on('packetreceive', (p) => {
      if (p.cmd === 'publish') raw.push(`${p.topic.toString()}@${p.properties?.topicAlias}`)
    })
    const got = collect(sub)
    await sub.subscribeAsync('out/#', { qos: 1 })
    const { c: pub } = await client()
    for (const topic of ['out/a', 'out/a', 'out/b', 'out/c', 'out/b', 'out/c', 'out/a'])
      await pub.publishAsync(topic, topic, { qos: 1 })
    await eventually(() => got.length === 7)
    assert.deepEqual(raw, ['out/a@1', '@1', 'out/b@2', 'out/c@undefined', '@2', 'out/c@undefined', '@1'])
    assert.deepEqual(
      got.map((g) => g.topic),
      ['out/a', 'out/a', 'out/b', 'out/c', 'out/b', 'out/c', 'out/a'],
    )
    const { c: plain } = await client()
    const plainRaw: Array<number | undefined> = []
    plain.on('packetreceive', (p) => {
      if (p.cmd === 'publish') plainRaw.push(p.properties?.topicAlias)
    })
    await plain.subscribeAsync('out/#', { qos: 0 })
    await pub.publishAsync('out/a', 'x', { qos: 1 })
    await eventually(() => plainRaw.length === 1)
    assert.deepEqual(plainRaw, [undefined], 'no aliases to a client that takes none')
    await Promise.all([sub.endAsync(), pub.endAsync(), plain.endAsync()])
  })
})

describe('MQTT 5 subscription identifiers', () => {
  test('each delivery carries the identifiers of every subscription that matched', async () => {
    const { c: sub } = await client({ clientId: 'ids-sub' })
    const got = collect(sub)
    await sub.subscribeAsync('ids/#', { qos: 1, properties: { subscriptionIdentifier: 1 } })
    await sub.subscribeAsync('ids/+/t', { qos: 1, properties: { subscriptionIdentifier: 2 } })
    await sub.subscribeAsync('ids/x/+', { qos: 1 })
    const { c: pub } = await client()
    await pub.publishAsync('ids/a/t', 'both', { qos: 1 })
    await pub.publishAsync('ids/b', 'one', { qos: 1 })
    await pub.publishAsync('ids/x/y', 'plain+one', { qos: 1 })
    await eventually(() => got.length === 3)
    const byBody = new Map(got.map((g) => [g.body, g.ids?.sort()]))
    assert.deepEqual(byBody.get('both'), [1, 2])
    assert.deepEqual(byBody.get('one'), [1])
    assert.deepEqual(byBody.get('plain+one'), [1])
    // A new identifier for a filter replaces the old one; unsubscribing drops it.
    await sub.subscribeAsync('ids/+/t', { qos: 1, properties: { subscriptionIdentifier: 9 } })
    await sub.unsubscribeAsync('ids/#')
    await pub.publishAsync('ids/a/t', 'nine', { qos: 1 })
    await eventually(() => got.length === 4)
    assert.deepEqual(got[3]?.ids, [9])
    await Promise.all([sub.endAsync(), pub.endAsync()])
  })

  test('retained messages carry the identifier of the subscription that brought them', async () => {
    const { c: pub } = await client()
    await pub.publishAsync('idret/a', 'kept', { qos: 1, retain: true })
    const { c: sub } = await client()
    const got = collect(sub)
    await sub.subscribeAsync('idret/+', { qos: 1, properties: { subscriptionIdentifier: 42 } })
    await eventually(() => got.length === 1)
    assert.deepEqual(got[0]?.ids, [42])
    await pub.publishAsync('idret/a', '', { qos: 1, retain: true })
    await Promise.all([sub.endAsync(), pub.endAsync()])
  })

  test('a subscription identifier 0 is a protocol error (0x82)', async () => {
    const s = await rawClient('id-zero')
    const closed = new Promise((resolve) => s.socket.once('close', resolve))
    s.socket.write(rawSubscribe('z/#', 1, Buffer.from([0x0b, 0])))
    await closed
    assert.deepEqual([...Buffer.concat(s.received).subarray(-3)], [0xe0, 1, 0x82])
  })

  test('UNSUBACK says 0x11 for a filter the session had no subscription to', async () => {
    const { c } = await client()
    await c.subscribeAsync('un/a', { qos: 1 })
    const acks = await new Promise<number[]>((resolve) => {
      c.on('packetreceive', (p) => {
        if (p.cmd === 'unsuback') resolve((p as unknown as { granted: number[] }).granted)
      })
      c.unsubscribe(['un/a', 'un/b'])
    })
    assert.deepEqual(acks, [0, 0x11])
    await c.endAsync()
  })
})

describe('MQTT 5 shared subscriptions', () => {
  test('a group shares the messages: each goes to one member, none lost', async () => {
    const members = await Promise.all([client(), client()])
    const got = members.map(({ c }) => collect(c))
    for (const { c } of members) await c.subscribeAsync('$share/workers/jobs/#', { qos: 1 })
    const { c: pub } = await client()
    for (let i = 0; i < 20; i++) await pub.publishAsync(`jobs/${i % 3}`, String(i), { qos: 1 })
    await eventually(() => got[0]!.length + got[1]!.length === 20)
    await new Promise((r) => setTimeout(r, 100))
    const bodies = got.flatMap((g) => g.map((m) => Number(m.body))).sort((x, y) => x - y)
    assert.deepEqual(bodies, [...Array(20).keys()], 'each message once')
    assert.ok(got[0]!.length > 0 && got[1]!.length > 0, `both members got some: ${got.map((g) => g.length)}`)
    assert.ok(got.flat().every((m) => m.topic.startsWith('jobs/')))
    assert.ok(queueNames().includes('mqtt-shared-workers/jobs/#'))

    // A member that leaves gets no more; the last one leaving takes the queue along.
    await members[0]!.c.unsubscribeAsync('$share/workers/jobs/#')
    for (let i = 20; i < 25; i++) await pub.publishAsync('jobs/x', String(i), { qos: 1 })
    await eventually(() => got[1]!.length + got[0]!.length === 25)
    assert.deepEqual(
      got[1]!.slice(-5).map((m) => m.body),
      ['20', '21', '22', '23', '24'],
    )
    await members[1]!.c.unsubscribeAsync('$share/workers/jobs/#')
    await eventually(() => !queueNames().includes('mqtt-shared-workers/jobs/#'))
    await Promise.all([...members.map(({ c }) => c.endAsync()), pub.endAsync()])
  })

  test('a member that leaves without acknowledging hands its messages to the others', async () => {
    const raw = await rawClient('share-noack')
    raw.socket.write(rawSubscribe('$share/g2/tasks', 1))
    await eventually(() => raw.received.slice(1).some((chunk) => chunk[0] === 0x90)) // SUBACK
    const { c: pub } = await client()
    await pub.publishAsync('tasks', 'first', { qos: 1 })
    await eventually(() => Buffer.concat(raw.received).includes(Buffer.from('first')))
    const { c: other } = await client()
    const got = collect(other)
    const dup: boolean[] = []
    other.on('message', (_topic, _payload, p) => dup.push(p.dup))
    await other.subscribeAsync('$share/g2/tasks', { qos: 1 })
    raw.socket.destroy()
    await eventually(() => got.length === 1)
    assert.equal(got[0]?.body, 'first')
    assert.deepEqual(dup, [true], 'a redelivery')
    await Promise.all([other.endAsync(), pub.endAsync()])
  })

  test('a broken share name is refused (0x8F); a 3.1.1 client’s $share/ is a plain filter', async () => {
    const { c } = await client()
    await assert.rejects(
      c.subscribeAsync('$share/nofilter', { qos: 1 }),
      (err: { packet?: { granted?: number[] } }) => err.packet?.granted?.[0] === 0x8f,
    )
    await c.endAsync()
    const old = await mqtt.connectAsync(url(), { ...opts, protocolVersion: 4 })
    const got: string[] = []
    old.on('message', (topic) => got.push(topic))
    await old.subscribeAsync('$share/g/plain', { qos: 1 })
    const { c: pub } = await client()
    await pub.publishAsync('$share/g/plain', 'x', { qos: 1 })
    await eventually(() => got.length === 1)
    await Promise.all([old.endAsync(), pub.endAsync()])
  })
})

// ---- a raw MQTT 5 client ----

function packet(byte1: number, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts)
  const len: number[] = []
  let n = body.length
  do {
    len.push((n % 128) | (n >= 128 ? 0x80 : 0))
    n = Math.floor(n / 128)
  } while (n > 0)
  return Buffer.concat([Buffer.from([byte1, ...len]), body])
}

const str = (s: string): Buffer => {
  const b = Buffer.from(s)
  return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b])
}
const props = (p: Buffer = Buffer.alloc(0)): Buffer => Buffer.concat([Buffer.from([p.length]), p])

/** PUBLISH with the given properties (bytes), packet id 1 for QoS 1. */
function rawPublish(topic: string, qos: 0 | 1, properties: Buffer): Buffer {
  const id = qos === 1 ? Buffer.from([0, 1]) : Buffer.alloc(0)
  return packet(0x30 | (qos << 1), str(topic), id, props(properties), Buffer.from('payload'))
}

function rawSubscribe(filter: string, qos: 0 | 1, properties?: Buffer): Buffer {
  return packet(0x82, Buffer.from([0, 1]), props(properties), str(filter), Buffer.from([qos]))
}

/** A connected raw MQTT 5 client (clean start, no keepalive): its socket and every chunk it received. */
async function rawClient(
  clientId: string,
  port = b.broker.mqttPort ?? 0,
): Promise<{ socket: Socket; received: Buffer[] }> {
  const socket = await new Promise<Socket>((resolve) => {
    const s = tcpConnect(port, '127.0.0.1', () => resolve(s))
  })
  const received: Buffer[] = []
  socket.on('data', (d: Buffer) => received.push(d))
  socket.on('error', () => {})
  const header = Buffer.concat([str('MQTT'), Buffer.from([5, 0xc2, 0, 0]), props()])
  socket.write(packet(0x10, header, str(clientId), str('guest'), str('guest')))
  await eventually(() => received.length > 0)
  assert.equal(received[0]?.[0], 0x20, 'CONNACK')
  return { socket, received }
}
