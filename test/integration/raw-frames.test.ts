// Malformed and out-of-order input over a raw socket, answered as RabbitMQ 3.10 answers it: protocol
// headers, the connection handshake, channel numbering, content framing, frame sizes and frame ends.
// Every expectation was recorded from RabbitMQ 3.10.8; run against it with
//   WARREN_TEST_URL=amqp://guest:guest@127.0.0.1:5676 node --test dist/test/integration/raw-frames.test.js
// RabbitMQ formats frame errors with the offending payload as an Erlang binary: "type T, all octets =
// <<...>>: Reason" (bytes as a list, or a quoted string when all are printable; "first 16 octets" when
// the payload is longer than 16 bytes).
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  bodyFrame,
  type CloseInfo,
  frame,
  type HandshakeOptions,
  headerFrame,
  heartbeatFrame,
  methodFrame,
  type RawClient,
  rawMethodFrame,
} from '../helpers/raw-client.js'
import { closeOf, connectionClose, useRawTarget } from '../helpers/raw-target.js'
import { uniqueName } from '../helpers/target.js'

const t = useRawTarget()
const open = (channels: readonly number[] = [1], opts: HandshakeOptions = {}): Promise<RawClient> =>
  t.open(channels, opts)
const connect = (): Promise<RawClient> => t.connect()

async function declare(
  c: RawClient,
  queue: string,
  opts: Record<string, unknown> = {},
): Promise<{ queue: string; messageCount: number }> {
  return (await c.call(1, 'queue.declare', { queue, ...opts }, 'queue.declare-ok')) as {
    queue: string
    messageCount: number
  }
}

/** Handshake up to tune-ok (with `opts`), then connection.open; true if open-ok came back. */
async function opens(opts: HandshakeOptions): Promise<{ c: RawClient; opened: boolean }> {
  const c = await connect()
  await c.handshake({ ...opts, stopAfter: 'tune-ok' })
  c.send(0, 'connection.open', { virtualHost: '/' })
  const f = await c.next((m) => m.method === 'connection.open-ok' || m.method === 'connection.close', 5000)
  return { c, opened: f?.method === 'connection.open-ok' }
}

describe('protocol header', () => {
  const refused: Array<[string, number[]]> = [
    ['AMQP 0-9-0', [0x41, 0x4d, 0x51, 0x50, 0, 0, 9, 0]],
    ['AMQP 1.0', [0x41, 0x4d, 0x51, 0x50, 3, 1, 0, 0]],
    ['AMQP 0-10', [0x41, 0x4d, 0x51, 0x50, 1, 1, 0, 10]],
    ['HTTP', [...Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')]],
  ]
  for (const [what, bytes] of refused) {
    test(`${what}: the server answers with its own header AMQP 0-0-9-1 and closes`, async () => {
      const c = await connect()
      c.write(Buffer.from(bytes))
      assert.equal(await c.endsWithin(3000), true, 'socket closed')
      assert.deepEqual(
        c.nonFrameBytes.map((b) => b.toString('hex')),
        ['414d515000000901'],
      )
      assert.equal(c.pending().length, 0, 'no frames')
    })
  }

  test('the pre-0-9-1 header AMQP 1-1-0-9 is accepted and answered with connection.start 0-9', async () => {
    const c = await connect()
    c.write(Buffer.from([0x41, 0x4d, 0x51, 0x50, 1, 1, 0, 9]))
    const start = await c.expect('connection.start', 0)
    assert.equal(start['versionMajor'], 0)
    assert.equal(start['versionMinor'], 9)
  })
})

describe('connection handshake', { concurrency: true }, () => {
  const loginRefused = (mechanism: string): CloseInfo =>
    connectionClose(
      403,
      `ACCESS_REFUSED - Login was refused using authentication mechanism ${mechanism}. For details see the broker logfile.`,
    )

  const badLogins: Array<[string, HandshakeOptions, string]> = [
    ['wrong password, PLAIN', { pass: 'wrong' }, 'PLAIN'],
    ['unknown user, PLAIN', { user: uniqueName('nobody'), pass: 'x' }, 'PLAIN'],
    ['wrong password, AMQPLAIN', { mechanism: 'AMQPLAIN', pass: 'wrong' }, 'AMQPLAIN'],
  ]
  for (const [what, opts, mechanism] of badLogins) {
    test(`${what}: 403 connection.close (client has authentication_failure_close), then closed`, async () => {
      const c = await connect()
      await assert.rejects(c.handshake(opts))
      assert.deepEqual(
        c.pending().map((f) => f.method),
        ['connection.close'],
      )
      assert.deepEqual(await closeOf(c), loginRefused(mechanism))
      assert.equal(await c.endsWithin(2000), true)
    })
  }

  test('AMQPLAIN with the right credentials logs in', async () => {
    const c = await connect()
    await c.handshake({ mechanism: 'AMQPLAIN' })
    await c.openChannel(1)
  })

  test('wrong password from a client without the authentication_failure_close capability: closed without connection.close', async () => {
    const c = await connect()
    const done = c
      .handshake({ pass: 'wrong', clientProperties: { product: 'old-client' } })
      .catch(() => undefined)
    assert.equal(await c.endsWithin(5000), true, 'socket closed')
    await done
    assert.deepEqual(
      c.pending().map((f) => f.method),
      [],
      'no close frame, no tune',
    )
  })

  const refusedLogins: Array<[string, HandshakeOptions]> = [
    ['an unknown mechanism', { mechanism: 'FOO' }],
    ['the EXTERNAL mechanism (not enabled)', { mechanism: 'EXTERNAL' }],
    ['a malformed PLAIN response', { response: Buffer.from('garbage') }],
  ]
  for (const [what, opts] of refusedLogins) {
    test(`${what}: no connection.tune, the connection is closed`, async () => {
      const c = await connect()
      const done = c.handshake({ ...opts, stopAfter: 'tune' }).catch(() => undefined)
      assert.equal(await c.endsWithin(5000), true, 'socket closed')
      await done
      assert.equal(c.serverTune, undefined)
    })
  }

  test('connection.open of a missing vhost: 530 with class 10 method 40', async () => {
    const c = await connect()
    await c.handshake({ stopAfter: 'tune-ok' })
    c.send(0, 'connection.open', { virtualHost: 'nosuchvhost' })
    assert.deepEqual(
      await closeOf(c),
      connectionClose(530, 'NOT_ALLOWED - vhost nosuchvhost not found', 10, 40),
    )
    assert.equal(await c.endsWithin(2000), true)
  })

  const badTunes: Array<[string, HandshakeOptions]> = [
    ['frame_max below 4096', { frameMax: 1000 }],
    ['frame_max above the server maximum', { frameMax: 200000 }],
    ['frame_max 0 (no limit) while the server has one', { frameMax: 0 }],
    ['channel_max above the server maximum', { channelMax: 5000 }],
    ['channel_max 0 (no limit) while the server has one', { channelMax: 0 }],
  ]
  for (const [what, opts] of badTunes) {
    test(`tune-ok with ${what}: refused, the connection never opens`, async () => {
      const { c, opened } = await opens(opts)
      assert.equal(opened, false)
      assert.equal(await c.endsWithin(5000), true, 'socket closed')
    })
  }

  test('tune-ok with frame_max 4096 and channel_max 1 is accepted', async () => {
    const { opened } = await opens({ frameMax: 4096, channelMax: 1 })
    assert.equal(opened, true)
  })

  test('channel.open before connection.open: 505 UNEXPECTED_FRAME with the frame bytes', async () => {
    const c = await connect()
    await c.handshake({ stopAfter: 'tune-ok' })
    c.send(1, 'channel.open')
    assert.deepEqual(
      await closeOf(c),
      connectionClose(505, 'UNEXPECTED_FRAME - type 1, all octets = <<0,20,0,10,0>>'),
    )
  })
})

describe('channel numbers and the connection/channel split', () => {
  const neverOpened: Array<[string, number, string, Record<string, unknown>, number, number]> = [
    ['basic.qos', 5, 'basic.qos', { prefetchCount: 1 }, 60, 10],
    ['queue.declare', 7, 'queue.declare', { queue: '' }, 50, 10],
    ['channel.close', 9, 'channel.close', { replyCode: 200 }, 20, 40],
    ['channel.close-ok', 9, 'channel.close-ok', {}, 20, 41],
  ]
  for (const [what, ch, method, args, classId, methodId] of neverOpened) {
    test(`${what} on a channel never opened: connection closed with 504`, async () => {
      const c = await open()
      c.send(ch, method, args)
      assert.deepEqual(
        await closeOf(c),
        connectionClose(504, "CHANNEL_ERROR - expected 'channel.open'", classId, methodId),
      )
      assert.equal(await c.endsWithin(2000), true)
    })
  }

  test("channel.open on an open channel: 504 second 'channel.open' seen", async () => {
    const c = await open()
    c.send(1, 'channel.open')
    assert.deepEqual(
      await closeOf(c),
      connectionClose(504, "CHANNEL_ERROR - second 'channel.open' seen", 20, 10),
    )
  })

  test('channel numbers above channel_max are accepted; channel_max limits how many are open', async () => {
    const big = await open([2047, 3000])
    big.send(3000, 'queue.declare', { queue: '', exclusive: true })
    await big.expect('queue.declare-ok', 3000)
    const c = await connect()
    await c.handshake({ channelMax: 3 })
    for (const ch of [11, 101, 102]) await c.openChannel(ch)
    c.send(103, 'channel.open')
    assert.deepEqual(
      await closeOf(c),
      connectionClose(
        530,
        'NOT_ALLOWED - number of channels opened (3) has reached the negotiated channel_max (3)',
      ),
    )
  })

  test('a closed channel frees its slot under channel_max', async () => {
    const c = await connect()
    await c.handshake({ channelMax: 1 })
    await c.openChannel(1)
    await c.call(1, 'channel.close', { replyCode: 200 }, 'channel.close-ok')
    await c.openChannel(2)
  })

  const onChannelZero: Array<[string, string, Record<string, unknown>, number, number]> = [
    ['channel.open', 'channel.open', {}, 20, 10],
    ['basic.qos', 'basic.qos', { prefetchCount: 1 }, 60, 10],
    ['queue.declare', 'queue.declare', { queue: '' }, 50, 10],
    ['a second connection.open', 'connection.open', { virtualHost: '/' }, 10, 40],
  ]
  for (const [what, method, args, classId, methodId] of onChannelZero) {
    test(`${what} on channel 0 after the handshake: 504 unexpected method`, async () => {
      const c = await open([])
      c.send(0, method, args)
      assert.deepEqual(
        await closeOf(c),
        connectionClose(
          504,
          'CHANNEL_ERROR - unexpected method in connection state running',
          classId,
          methodId,
        ),
      )
    })
  }

  test('a connection method on channel 1, or a server-only method from the client: 503 unimplemented method', async () => {
    const c = await open()
    c.send(1, 'connection.tune-ok', { channelMax: 0, frameMax: 131072, heartbeat: 0 })
    assert.deepEqual(await closeOf(c), connectionClose(503, 'COMMAND_INVALID - unimplemented method', 10, 31))
    const d = await open()
    d.send(1, 'queue.declare-ok', { queue: 'x' })
    assert.deepEqual(await closeOf(d), connectionClose(503, 'COMMAND_INVALID - unimplemented method', 50, 11))
  })

  test('a client-sent basic.deliver is a content-bearing method: a method frame after it is 505', async () => {
    const c = await open()
    c.send(1, 'basic.deliver', { consumerTag: 'x', deliveryTag: 1, exchange: '', routingKey: 'q' })
    c.send(1, 'basic.qos', { prefetchCount: 1 })
    assert.deepEqual(
      await closeOf(c),
      connectionClose(
        505,
        'UNEXPECTED_FRAME - expected content header for class 60, got non content header frame instead',
        60,
        60,
      ),
    )
  })

  const unknown: Array<[string, number, number, number]> = [
    ['an unknown method of a known class', 1, 60, 999],
    ['an unknown class', 1, 999, 1],
    ['an unknown connection method on channel 0', 0, 10, 99],
  ]
  for (const [what, ch, classId, methodId] of unknown) {
    test(`${what}: the connection is closed, nothing after it is processed`, async () => {
      const c = await open()
      c.write(
        rawMethodFrame(ch, classId, methodId),
        methodFrame(1, 'queue.declare', { queue: '', exclusive: true }),
      )
      // RabbitMQ 3.10 drops the socket here without a close frame (its connection process crashes on
      // the unknown id). A broker that sends connection.close first is fine: the client answers close-ok.
      const close = await c.waitClose(3000)
      if (close) assert.equal(close.kind, 'connection')
      assert.equal(await c.endsWithin(3000), true, 'socket closed')
      assert.equal(
        c.pending().some((f) => f.method === 'queue.declare-ok' || f.method === 'channel.close'),
        false,
        'the queue.declare after the unknown method is not answered',
      )
    })
  }

  test('method arguments cut short: 501 FRAME_ERROR cannot decode, with the argument bytes', async () => {
    const c = await open()
    c.write(rawMethodFrame(1, 50, 10, Buffer.from([0, 0, 5, 0x61])))
    assert.deepEqual(
      await closeOf(c),
      connectionClose(501, 'FRAME_ERROR - cannot decode <<0,0,5,97>>', 50, 10),
    )
  })
})

describe('content frames out of order', () => {
  const publish = methodFrame(1, 'basic.publish', { exchange: 'amq.direct', routingKey: 'k' })
  const cases: Array<[string, Buffer[], CloseInfo]> = [
    [
      'a content header without basic.publish',
      [headerFrame(1, 3)],
      connectionClose(505, 'UNEXPECTED_FRAME - expected method frame, got non method frame instead'),
    ],
    [
      'a body frame without anything before it',
      [bodyFrame(1, 'abc')],
      connectionClose(505, 'UNEXPECTED_FRAME - expected method frame, got non method frame instead'),
    ],
    [
      'basic.publish followed by a body frame',
      [publish, bodyFrame(1, 'abc')],
      connectionClose(
        505,
        'UNEXPECTED_FRAME - expected content header for class 60, got non content header frame instead',
        60,
        40,
      ),
    ],
    [
      'basic.publish followed by another method',
      [publish, methodFrame(1, 'basic.qos', { prefetchCount: 1 })],
      connectionClose(
        505,
        'UNEXPECTED_FRAME - expected content header for class 60, got non content header frame instead',
        60,
        40,
      ),
    ],
    [
      'a method where the body is expected',
      [publish, headerFrame(1, 5), methodFrame(1, 'basic.qos', { prefetchCount: 1 })],
      connectionClose(
        505,
        'UNEXPECTED_FRAME - expected content body, got non content body frame instead',
        60,
        40,
      ),
    ],
    [
      'a content header of class 50',
      [publish, headerFrame(1, 3, { classId: 50 })],
      connectionClose(
        505,
        'UNEXPECTED_FRAME - expected content header for class 60, got one for class 50 instead',
        60,
        40,
      ),
    ],
    [
      'a content header on channel 0',
      [headerFrame(0, 3)],
      connectionClose(505, 'UNEXPECTED_FRAME - type 2, all octets = <<0,60,0,0,0,0,0,0,0,0,0,3,0,0>>'),
    ],
    [
      'a body frame on channel 0',
      [bodyFrame(0, 'abc')],
      connectionClose(505, 'UNEXPECTED_FRAME - type 3, all octets = <<"abc">>'),
    ],
    [
      'a heartbeat frame on channel 1',
      [heartbeatFrame(1)],
      connectionClose(505, 'UNEXPECTED_FRAME - type 8, all octets = <<>>'),
    ],
  ]
  for (const [what, frames, expected] of cases) {
    test(`${what}: connection closed with ${expected.replyCode}`, async () => {
      const c = await open()
      c.write(...frames)
      assert.deepEqual(await closeOf(c), expected)
    })
  }

  test('a body longer than its header announced is not routed; the next method frame is a 505', async () => {
    const c = await open()
    const q = uniqueName('overflow')
    await declare(c, q)
    c.write(
      methodFrame(1, 'basic.publish', { exchange: '', routingKey: q }),
      headerFrame(1, 3),
      bodyFrame(1, 'hello'),
    )
    c.write(methodFrame(1, 'basic.qos', { prefetchCount: 1 }))
    assert.deepEqual(
      await closeOf(c),
      connectionClose(
        505,
        'UNEXPECTED_FRAME - expected content body, got non content body frame instead',
        60,
        40,
      ),
    )
    const d = await open()
    assert.equal((await declare(d, q, { passive: true })).messageCount, 0)
    await d.call(1, 'queue.delete', { queue: q }, 'queue.delete-ok')
  })

  test('empty body frames are allowed and add nothing', async () => {
    const c = await open()
    const q = uniqueName('emptybody')
    await declare(c, q, { exclusive: true })
    c.write(
      methodFrame(1, 'basic.publish', { exchange: '', routingKey: q }),
      headerFrame(1, 2),
      bodyFrame(1, ''),
      bodyFrame(1, 'ab'),
    )
    const get = await c.call(1, 'basic.get', { queue: q, noAck: true }, 'basic.get-ok')
    assert.equal(get['messageCount'], 0)
    assert.equal((await c.next((f) => f.type === 3))?.payload.toString(), 'ab')
  })

  test('a heartbeat on channel 0 is fine at any time', async () => {
    const c = await open()
    c.write(heartbeatFrame(0))
    await declare(c, '', { exclusive: true })
  })
})

describe('frame size, frame end and frame type', () => {
  test('a body frame whose payload is exactly frame_max bytes is accepted', async () => {
    const c = await open()
    const q = uniqueName('fmax')
    await declare(c, q, { exclusive: true })
    const size = c.serverTune?.frameMax ?? 131072
    c.write(
      methodFrame(1, 'basic.publish', { exchange: '', routingKey: q }),
      headerFrame(1, size),
      bodyFrame(1, Buffer.alloc(size, 7)),
    )
    c.send(1, 'basic.get', { queue: q, noAck: true })
    const get = await c.next(
      (f) => f.method === 'basic.get-ok' || f.method === 'basic.get-empty' || f.method === 'connection.close',
    )
    assert.equal(get?.method, 'basic.get-ok', c.describePending())
  })

  test('a payload of frame_max + 1 bytes: 501 frame_too_large (limit reported as frame_max - 8)', async () => {
    const c = await open()
    c.write(
      methodFrame(1, 'basic.publish', { exchange: 'amq.direct', routingKey: 'k' }),
      headerFrame(1, 200000),
      bodyFrame(1, Buffer.alloc(131073)),
    )
    assert.deepEqual(
      await closeOf(c),
      connectionClose(501, 'FRAME_ERROR - type 3, all octets = <<>>: {frame_too_large,131073,131064}'),
    )
  })

  test('the limit is the negotiated frame_max (4096 here)', async () => {
    const c = await open([1], { frameMax: 4096 })
    c.write(
      methodFrame(1, 'basic.publish', { exchange: 'amq.direct', routingKey: 'k' }),
      headerFrame(1, 5000),
      bodyFrame(1, Buffer.alloc(4097)),
    )
    assert.deepEqual(
      await closeOf(c),
      connectionClose(501, 'FRAME_ERROR - type 3, all octets = <<>>: {frame_too_large,4097,4088}'),
    )
  })

  test('a frame header announcing 2 GB is refused before its payload arrives', async () => {
    const c = await open()
    c.write(Buffer.from([1, 0, 1, 0x7f, 0, 0, 0]))
    assert.deepEqual(
      await closeOf(c),
      connectionClose(501, 'FRAME_ERROR - type 1, all octets = <<>>: {frame_too_large,2130706432,131064}'),
    )
  })

  test('a bad frame-end octet: 501 invalid_frame_end_marker, with the payload', async () => {
    const c = await open()
    c.write(frame(1, 1, Buffer.from([0, 60, 0, 10, 0, 0, 0, 0, 0, 5, 0]), { frameEnd: 0 }))
    assert.deepEqual(
      await closeOf(c),
      connectionClose(
        501,
        'FRAME_ERROR - type 1, all octets = <<0,60,0,10,0,0,0,0,0,5,0>>: {invalid_frame_end_marker,0}',
      ),
    )
    const d = await open()
    d.write(frame(8, 0, Buffer.alloc(0), { frameEnd: 0x41 }))
    assert.deepEqual(
      await closeOf(d),
      connectionClose(501, 'FRAME_ERROR - type 8, all octets = <<>>: {invalid_frame_end_marker,65}'),
    )
  })

  const unknownFrames: Array<[string, Buffer, string]> = [
    [
      'an unknown frame type',
      frame(5, 1, Buffer.from('abc')),
      'FRAME_ERROR - type 5, all octets = <<"abc">>: unknown_frame',
    ],
    [
      'an unknown frame type on channel 0',
      frame(9, 0, Buffer.alloc(0)),
      'FRAME_ERROR - type 9, all octets = <<>>: unknown_frame',
    ],
    [
      'an unknown frame type with a long payload (first 16 octets shown)',
      frame(5, 1, Buffer.from('abcdefghijklmnopqrst')),
      'FRAME_ERROR - type 5, first 16 octets = <<"abcdefghijklmnop">>: unknown_frame',
    ],
    [
      'a heartbeat frame with a payload',
      frame(8, 0, Buffer.from('x')),
      'FRAME_ERROR - type 8, all octets = <<"x">>: unknown_frame',
    ],
  ]
  for (const [what, bytes, text] of unknownFrames) {
    test(`${what}: 501`, async () => {
      const c = await open()
      c.write(bytes)
      assert.deepEqual(await closeOf(c), connectionClose(501, text))
    })
  }
})
