// The MQTT packet decoder: golden bytes of MQTT 3.1.1 packets, split at every byte, the checks that make a
// packet malformed, and random bytes, which either decode or throw MalformedPacketError, never anything else.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { MalformedPacketError, PacketDecoder, toAmqp, toMqtt } from '../../src/mqtt/index.js'

const MAX = 1024 * 1024

// CONNECT: MQTT level 4, clean session, username and password, keepalive 60, client id "c1".
const CONNECT = Buffer.from([
  0x10, 0x1c, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0xc2, 0x00, 0x3c, 0x00, 0x02, 0x63, 0x31, 0x00, 0x05,
  0x67, 0x75, 0x65, 0x73, 0x74, 0x00, 0x05, 0x67, 0x75, 0x65, 0x73, 0x74,
])
// PUBLISH QoS 1 to a/b, packet id 7, payload "hi".
const PUBLISH = Buffer.from([0x32, 0x09, 0x00, 0x03, 0x61, 0x2f, 0x62, 0x00, 0x07, 0x68, 0x69])
// SUBSCRIBE id 1 to a/# at QoS 2.
const SUBSCRIBE = Buffer.from([0x82, 0x08, 0x00, 0x01, 0x00, 0x03, 0x61, 0x2f, 0x23, 0x02])

test('golden CONNECT, PUBLISH and SUBSCRIBE decode to their fields', () => {
  const [c, p, s] = new PacketDecoder(MAX).push(Buffer.concat([CONNECT, PUBLISH, SUBSCRIBE]))
  assert.deepEqual(c, {
    type: 1,
    protocolName: 'MQTT',
    protocolLevel: 4,
    cleanSession: true,
    properties: undefined,
    keepalive: 60,
    clientId: 'c1',
    will: undefined,
    username: 'guest',
    password: Buffer.from('guest'),
  })
  assert.deepEqual(p, {
    type: 3,
    topic: 'a/b',
    qos: 1,
    dup: false,
    retain: false,
    packetId: 7,
    payload: Buffer.from('hi'),
    properties: undefined,
  })
  assert.deepEqual(s, {
    type: 8,
    packetId: 1,
    subscriptions: [{ filter: 'a/#', qos: 2, noLocal: false, retainAsPublished: false, retainHandling: 0 }],
    properties: undefined,
  })
})

test('packets split at every byte decode the same as whole', () => {
  const all = Buffer.concat([CONNECT, PUBLISH, SUBSCRIBE])
  const whole = new PacketDecoder(MAX).push(all)
  for (let i = 1; i < all.length; i++) {
    const d = new PacketDecoder(MAX)
    const got = [...d.push(all.subarray(0, i)), ...d.push(all.subarray(i))]
    assert.deepEqual(got, whole, `split at ${i}`)
  }
})

test('packets fed a byte at a time, and a large PUBLISH in 1 KiB chunks, decode whole', () => {
  const all = Buffer.concat([CONNECT, PUBLISH, SUBSCRIBE])
  const d = new PacketDecoder(MAX)
  const got = [...all].flatMap((byte) => d.push(Buffer.from([byte])))
  assert.deepEqual(got, new PacketDecoder(MAX).push(all))
  const payload = Buffer.alloc(300_000, 7)
  const len = 2 + 1 + payload.length
  const big = Buffer.concat([
    Buffer.from([0x30, 0x80 | (len & 0x7f), 0x80 | ((len >> 7) & 0x7f), len >> 14, 0, 1, 0x74]),
    payload,
  ])
  const d2 = new PacketDecoder(MAX)
  const packets = []
  for (let i = 0; i < big.length; i += 1024) packets.push(...d2.push(big.subarray(i, i + 1024)))
  assert.equal(packets.length, 1)
  assert.ok(packets[0]?.type === 3 && packets[0].payload.equals(payload))
})

test('malformed packets are refused with MalformedPacketError', () => {
  const bad: Array<[string, number[]]> = [
    ['reserved flags on PUBACK', [0x41, 0x02, 0x00, 0x01]],
    ['SUBSCRIBE without flags 0010', [0x80, 0x06, 0x00, 0x01, 0x00, 0x01, 0x61, 0x00]],
    ['QoS 3 PUBLISH', [0x36, 0x05, 0x00, 0x01, 0x61, 0x00, 0x01]],
    ['packet id 0', [0x40, 0x02, 0x00, 0x00]],
    ['wildcard in a topic name', [0x30, 0x03, 0x00, 0x01, 0x23]],
    ['string longer than the packet', [0x30, 0x03, 0x00, 0x09, 0x61]],
    ['malformed UTF-8', [0x30, 0x04, 0x00, 0x02, 0xc3, 0x28]],
    ['remaining length of 5 bytes', [0x30, 0xff, 0xff, 0xff, 0xff, 0x01]],
    ['a server-only packet type', [0x20, 0x02, 0x00, 0x00]],
    ['SUBSCRIBE without filters', [0x82, 0x02, 0x00, 0x01]],
    ['bytes after PINGREQ', [0xc0, 0x01, 0x00]],
  ]
  for (const [what, bytes] of bad) {
    assert.throws(() => new PacketDecoder(MAX).push(Buffer.from(bytes)), MalformedPacketError, what)
  }
  assert.throws(() => new PacketDecoder(100).push(Buffer.from([0x30, 0xc8, 0x01])), /exceeds the maximum 100/)
})

test('random bytes either decode or throw MalformedPacketError, whatever the chunking', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(200), (bytes, cut) => {
      const d = new PacketDecoder(4096)
      const buf = Buffer.from(bytes)
      try {
        d.push(buf.subarray(0, cut))
        d.push(buf.subarray(cut))
      } catch (err) {
        assert.ok(err instanceof MalformedPacketError, `unexpected ${String(err)}`)
      }
    }),
    { numRuns: 5000 },
  )
})

test('topics map to routing keys as RabbitMQ maps them: / and . swapped, + becomes *', () => {
  assert.equal(toAmqp('a/b.c/+/#'), 'a.b/c.*.#')
  assert.equal(toMqtt('a.b/c'), 'a/b.c')
  fc.assert(
    fc.property(fc.string(), (s) => toMqtt(toAmqp(s.replace(/[*+]/g, ''))) === s.replace(/[*+]/g, '')),
  )
})

// MQTT 5 CONNECT: clean start, keepalive 10, Session Expiry Interval 60, client id "v5".
const CONNECT_V5 = Buffer.from([
  0x10, 0x14, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x05, 0x02, 0x00, 0x0a, 0x05, 0x11, 0x00, 0x00, 0x00, 0x3c,
  0x00, 0x02, 0x76, 0x35,
])
// MQTT 5 PUBLISH QoS 1 to t, id 1, content type "a", user property k=v, payload "p".
const PUBLISH_V5 = Buffer.from([
  0x32, 0x12, 0x00, 0x01, 0x74, 0x00, 0x01, 0x0b, 0x03, 0x00, 0x01, 0x61, 0x26, 0x00, 0x01, 0x6b, 0x00, 0x01,
  0x76, 0x70,
])

test('MQTT 5: a CONNECT and a PUBLISH with properties decode, split at every byte', () => {
  const all = Buffer.concat([CONNECT_V5, PUBLISH_V5])
  const [c, p] = new PacketDecoder(MAX).push(all)
  assert.equal(c?.type, 1)
  assert.deepEqual(c?.type === 1 && c.properties, { sessionExpiry: 60 })
  assert.ok(p?.type === 3)
  assert.deepEqual(p.properties, { contentType: 'a', userProperties: [['k', 'v']] })
  assert.deepEqual(p.payload, Buffer.from('p'))
  for (let i = 1; i < all.length; i++) {
    const d = new PacketDecoder(MAX)
    assert.deepEqual([...d.push(all.subarray(0, i)), ...d.push(all.subarray(i))], [c, p], `split at ${i}`)
  }
})

test('MQTT 5: random bytes after a v5 CONNECT decode or throw MalformedPacketError', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      const d = new PacketDecoder(4096)
      d.push(CONNECT_V5)
      try {
        d.push(Buffer.from(bytes))
      } catch (err) {
        assert.ok(err instanceof MalformedPacketError, `unexpected ${String(err)}`)
      }
    }),
    { numRuns: 5000 },
  )
})
