// Golden bytes: frames Warren writes compared with byte sequences built by hand from the AMQP 0-9-1 spec
// (section 4.2: frame = type octet, channel short, size long, payload, frame-end 0xCE; a method payload
// starts with class id and method id shorts; consecutive bits pack into octets, least significant first).
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  HEARTBEAT_FRAME,
  type Method,
  Writer,
  writeBodyFrames,
  writeHeaderFrame,
  writeMethodFrame,
} from '../../src/protocol/index.js'
import { bytes, collectFrames, decodePayload, frame, lstr, sstr, u16, u32, u64, written } from './helpers.js'

/** Checks encode(m) against the hand-built frame, and decode(hand-built) against m. */
function golden(m: Method, channel: number, payload: Buffer): void {
  const expected = frame(1, channel, payload)
  const actual = written((w) => writeMethodFrame(w, channel, m))
  assert.equal(actual.toString('hex'), expected.toString('hex'), `${m.name} encodes as built by hand`)
  const frames = collectFrames([expected])
  assert.equal(frames.length, 1)
  assert.deepEqual(
    decodePayload(frames[0]?.payload ?? Buffer.alloc(0)),
    m,
    `${m.name} decodes from hand-built bytes`,
  )
}

describe('golden bytes', () => {
  test('connection.tune on channel 0', () => {
    golden(
      { name: 'connection.tune', channelMax: 2047, frameMax: 131072, heartbeat: 60 },
      0,
      bytes(
        [0x00, 0x0a, 0x00, 0x1e], // class 10, method 30
        [0x07, 0xff], // channel-max
        [0x00, 0x02, 0x00, 0x00], // frame-max
        [0x00, 0x3c], // heartbeat
      ),
    )
    // The whole frame, octet by octet, once.
    const all = written((w) =>
      writeMethodFrame(w, 0, { name: 'connection.tune', channelMax: 2047, frameMax: 131072, heartbeat: 60 }),
    )
    assert.deepEqual([...all], [1, 0, 0, 0, 0, 0, 12, 0, 10, 0, 30, 7, 255, 0, 2, 0, 0, 0, 60, 0xce])
  })

  test('connection.start with server properties, mechanisms and locales', () => {
    golden(
      {
        name: 'connection.start',
        versionMajor: 0,
        versionMinor: 9,
        serverProperties: { product: 'Warren' },
        mechanisms: Buffer.from('PLAIN AMQPLAIN'),
        locales: Buffer.from('en_US'),
      },
      0,
      bytes(
        u16(10),
        u16(10),
        0,
        9,
        u32(19),
        sstr('product'),
        'S',
        lstr('Warren'),
        lstr('PLAIN AMQPLAIN'),
        lstr('en_US'),
      ),
    )
  })

  test('connection.open writes the reserved capabilities shortstr and insist bit', () => {
    golden({ name: 'connection.open', virtualHost: '/' }, 0, bytes(u16(10), u16(40), sstr('/'), 0, 0))
  })

  test('connection.close and channel.close', () => {
    golden(
      {
        name: 'connection.close',
        replyCode: 320,
        replyText: 'CONNECTION_FORCED - bye',
        classId: 0,
        methodId: 0,
      },
      0,
      bytes(u16(10), u16(50), u16(320), sstr('CONNECTION_FORCED - bye'), u16(0), u16(0)),
    )
    golden(
      {
        name: 'channel.close',
        replyCode: 404,
        replyText: "NOT_FOUND - no queue 'q'",
        classId: 50,
        methodId: 10,
      },
      7,
      bytes(u16(20), u16(40), u16(404), sstr("NOT_FOUND - no queue 'q'"), u16(50), u16(10)),
    )
  })

  test('channel.open-ok writes its reserved longstr', () => {
    golden({ name: 'channel.open-ok' }, 1, bytes(u16(20), u16(11), u32(0)))
  })

  test('basic.deliver with a delivery tag above 2^32', () => {
    golden(
      {
        name: 'basic.deliver',
        consumerTag: 'ctag',
        deliveryTag: 2 ** 32 + 5,
        redelivered: true,
        exchange: 'ex',
        routingKey: 'rk',
      },
      3,
      bytes(
        [0x00, 0x3c, 0x00, 0x3c],
        sstr('ctag'),
        [0, 0, 0, 1, 0, 0, 0, 5],
        0x01, // redelivered
        sstr('ex'),
        sstr('rk'),
      ),
    )
    golden(
      {
        name: 'basic.deliver',
        consumerTag: '',
        deliveryTag: 1,
        redelivered: false,
        exchange: '',
        routingKey: 'q',
      },
      1,
      bytes(u16(60), u16(60), 0, u64(1), 0, 0, sstr('q')),
    )
  })

  test('basic.deliver at the largest safe delivery tag', () => {
    golden(
      {
        name: 'basic.deliver',
        consumerTag: 'c',
        deliveryTag: Number.MAX_SAFE_INTEGER,
        redelivered: false,
        exchange: 'e',
        routingKey: 'r',
      },
      1,
      bytes(
        u16(60),
        u16(60),
        sstr('c'),
        [0x00, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
        0,
        sstr('e'),
        sstr('r'),
      ),
    )
  })

  test('queue.declare-ok', () => {
    golden(
      { name: 'queue.declare-ok', queue: 'amq.gen-1', messageCount: 0x01020304, consumerCount: 7 },
      1,
      bytes([0x00, 0x32, 0x00, 0x0b], sstr('amq.gen-1'), [1, 2, 3, 4], [0, 0, 0, 7]),
    )
  })

  test('basic.ack with and without multiple', () => {
    golden({ name: 'basic.ack', deliveryTag: 42, multiple: true }, 1, bytes(u16(60), u16(80), u64(42), 0x01))
    golden({ name: 'basic.ack', deliveryTag: 42, multiple: false }, 1, bytes(u16(60), u16(80), u64(42), 0x00))
  })

  test('basic.nack packs multiple and requeue into one octet', () => {
    const nack = (multiple: boolean, requeue: boolean): Method => ({
      name: 'basic.nack',
      deliveryTag: 9,
      multiple,
      requeue,
    })
    golden(nack(false, false), 1, bytes(u16(60), u16(120), u64(9), 0b00))
    golden(nack(true, false), 1, bytes(u16(60), u16(120), u64(9), 0b01))
    golden(nack(false, true), 1, bytes(u16(60), u16(120), u64(9), 0b10))
    golden(nack(true, true), 1, bytes(u16(60), u16(120), u64(9), 0b11))
  })

  test('queue.declare packs passive, durable, exclusive, auto-delete and no-wait into one octet', () => {
    const names = ['passive', 'durable', 'exclusive', 'autoDelete', 'noWait'] as const
    for (let mask = 0; mask < 32; mask++) {
      const m = { name: 'queue.declare', queue: 'q', arguments: {} } as Record<string, unknown>
      names.forEach((n, i) => (m[n] = (mask & (1 << i)) !== 0))
      golden(m as unknown as Method, 1, bytes(u16(50), u16(10), u16(0), sstr('q'), mask, u32(0)))
    }
  })

  test('exchange.declare: five bits then an arguments table', () => {
    golden(
      {
        name: 'exchange.declare',
        exchange: 'logs',
        type: 'topic',
        passive: false,
        durable: true,
        autoDelete: false,
        internal: true,
        noWait: false,
        arguments: { 'alternate-exchange': 'ae' },
      },
      2,
      bytes(
        u16(40),
        u16(10),
        u16(0), // reserved ticket
        sstr('logs'),
        sstr('topic'),
        0b01010, // durable (bit 1), internal (bit 3)
        u32(1 + 18 + 1 + 4 + 2),
        sstr('alternate-exchange'),
        'S',
        lstr('ae'),
      ),
    )
  })

  test('basic.consume: four bits, then the table', () => {
    golden(
      {
        name: 'basic.consume',
        queue: 'q',
        consumerTag: 'c',
        noLocal: true,
        noAck: false,
        exclusive: true,
        noWait: true,
        arguments: {},
      },
      1,
      bytes(u16(60), u16(20), u16(0), sstr('q'), sstr('c'), 0b1101, u32(0)),
    )
  })

  test('basic.get-ok: a bit between a longlong and a shortstr', () => {
    golden(
      {
        name: 'basic.get-ok',
        deliveryTag: 3,
        redelivered: true,
        exchange: '',
        routingKey: 'k',
        messageCount: 12,
      },
      1,
      bytes(u16(60), u16(71), u64(3), 1, sstr(''), sstr('k'), u32(12)),
    )
  })

  test('methods without arguments are just their ids', () => {
    golden({ name: 'tx.select' }, 1, bytes(u16(90), u16(10)))
    golden({ name: 'confirm.select-ok' }, 1, bytes(u16(85), u16(11)))
    golden({ name: 'exchange.unbind-ok' }, 1, bytes(u16(40), u16(51)))
    golden({ name: 'connection.close-ok' }, 0, bytes(u16(10), u16(51)))
  })

  test('content header frame with content-type and delivery-mode', () => {
    const actual = written((w) => writeHeaderFrame(w, 1, 10, { contentType: 'text/plain', deliveryMode: 2 }))
    const payload = bytes(u16(60), u16(0), u64(10), u16(0x8000 | 0x1000), sstr('text/plain'), 2)
    assert.equal(actual.toString('hex'), frame(2, 1, payload).toString('hex'))
  })

  test('body frames split at frame-max minus the 8 octets of overhead', () => {
    const body = Buffer.from('0123456789')
    const actual = written((w) => writeBodyFrames(w, 5, body, 12))
    const expected = bytes(
      frame(3, 5, Buffer.from('0123')),
      frame(3, 5, Buffer.from('4567')),
      frame(3, 5, Buffer.from('89')),
    )
    assert.equal(actual.toString('hex'), expected.toString('hex'))
    assert.equal(
      written((w) => writeBodyFrames(w, 5, Buffer.alloc(0), 12)).length,
      0,
      'an empty body has no frames',
    )
    const exact = written((w) => writeBodyFrames(w, 5, Buffer.from('01234567'), 16))
    assert.equal(
      exact.toString('hex'),
      frame(3, 5, Buffer.from('01234567')).toString('hex'),
      'a body that fills one frame',
    )
  })

  test("body frames with frame-max 0 (the spec's no limit) are one frame; a frame-max of 8 or less is refused", () => {
    const body = Buffer.alloc(200_000, 3)
    const out = written((w) => writeBodyFrames(w, 1, body, 0))
    assert.equal(out.toString('hex'), frame(3, 1, body).toString('hex'))
    for (const frameMax of [1, 8])
      assert.throws(() => written((w) => writeBodyFrames(w, 1, body, frameMax)), RangeError)
  })

  test('heartbeat frame', () => {
    assert.deepEqual([...HEARTBEAT_FRAME], [8, 0, 0, 0, 0, 0, 0, 0xce])
  })

  test('a shortstr of 255 UTF-8 bytes is accepted, 256 is refused and leaves nothing behind', () => {
    const w = new Writer()
    const ok = 'é'.repeat(127) + 'a' // 255 bytes
    writeMethodFrame(w, 1, { name: 'basic.consume-ok', consumerTag: ok })
    assert.throws(
      () => writeMethodFrame(w, 1, { name: 'basic.consume-ok', consumerTag: ok + 'a' }),
      (e: unknown) => e instanceof Error && 'replyCode' in e && e.replyCode === 502,
    )
    const out = Buffer.concat(w.take())
    assert.equal(
      out.toString('hex'),
      frame(1, 1, bytes(u16(60), u16(21), 255, Buffer.from(ok))).toString('hex'),
    )
  })
})
