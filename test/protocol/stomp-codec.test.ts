// The STOMP frame codec: frames split at every byte, content-length and NUL-terminated bodies, heart-beat
// end-of-lines, 1.1/1.2 header escapes (and their absence in CONNECT and 1.0), the checks that make a frame
// malformed, the encoder's escapes, and random bytes, which decode or throw MalformedFrameError only.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { encodeFrame, FrameDecoder, MalformedFrameError, parseDestination } from '../../src/stomp/index.js'

const LIMITS = { maxBody: 1024 * 1024, maxHeaderBytes: 4096, maxHeaders: 50 }
const decoder = (escaping = true): FrameDecoder => {
  const d = new FrameDecoder(LIMITS)
  d.escaping = escaping
  return d
}

const SEND = 'SEND\ndestination:/queue/a\ncontent-length:5\n\nhe\u0000lo\u0000'
const SUB = 'SUBSCRIBE\r\nid:s\\c1\r\ndestination:/topic/x\r\n\r\n\u0000'

test('frames decode whole and split at every byte, with heart-beats between them', () => {
  const bytes = Buffer.from(`\n\r\n${SEND}\n${SUB}\n\n`)
  for (let cut = 0; cut <= bytes.length; cut++) {
    const d = decoder()
    const frames = [...d.push(bytes.subarray(0, cut)), ...d.push(bytes.subarray(cut))]
    assert.equal(frames.length, 2, `cut at ${cut}`)
    const [send, sub] = frames
    assert.equal(send?.command, 'SEND')
    assert.deepEqual(send?.body, Buffer.from('he\u0000lo'), 'content-length lets a body hold NULs')
    assert.equal(sub?.command, 'SUBSCRIBE')
    assert.deepEqual(sub?.headers, [
      ['id', 's:1'],
      ['destination', '/topic/x'],
    ])
    assert.equal(sub?.body.length, 0)
  }
})

test('escapes are read in 1.1/1.2 frames, not in 1.0 nor in CONNECT; decoding stops after a CONNECT', () => {
  assert.deepEqual(decoder(false).push(Buffer.from(SUB))[0]?.headers[0], ['id', 's\\c1'])
  const d = decoder(false)
  const first = d.push(Buffer.from(`CONNECT\nlogin:a\\cb\n\n\u0000${SUB}`))
  assert.deepEqual(
    first.map((f) => f.command),
    ['CONNECT'],
  )
  assert.deepEqual(first[0]?.headers[0], ['login', 'a\\cb'])
  d.escaping = true
  assert.deepEqual(d.resume()[0]?.headers[0], ['id', 's:1'])
  const v = decoder().push(Buffer.from('SEND\nk\\n\\\\:v\\r\\c\n\n\u0000'))[0]
  assert.deepEqual(v?.headers[0], ['k\n\\', 'v\r:'])
})

test('malformed frames throw MalformedFrameError', () => {
  const bad = [
    'FOO\n\n\u0000',
    'SEND\nno-colon\n\n\u0000',
    'SEND\nk:\\t\n\n\u0000',
    'SEND\ncontent-length:x\n\n\u0000',
    'SEND\ncontent-length:1\n\nab\u0000',
    `SEND\ncontent-length:${LIMITS.maxBody + 1}\n\n`,
    `SEND\n${'k:v\n'.repeat(60)}\n\u0000`,
    `SEND\nk:${'v'.repeat(5000)}`,
  ]
  for (const b of bad)
    assert.throws(() => decoder().push(Buffer.from(b)), MalformedFrameError, JSON.stringify(b.slice(0, 40)))
  const big = decoder()
  big.push(Buffer.from('SEND\n\n'))
  assert.throws(
    () => big.push(Buffer.alloc(LIMITS.maxBody + 10, 0x61)),
    MalformedFrameError,
    'a NUL-less body past the limit',
  )
})

test('the encoder escapes 1.1/1.2 headers (never CONNECTED) and writes content-length for a body', () => {
  const f = encodeFrame('MESSAGE', [['a:b', 'x\ny\\']], Buffer.from('hi'), true).toString()
  assert.equal(f, 'MESSAGE\na\\cb:x\\ny\\\\\ncontent-length:2\n\nhi\u0000\n')
  assert.equal(
    encodeFrame('CONNECTED', [['version', '1.2']], undefined, true).toString(),
    'CONNECTED\nversion:1.2\n\n\u0000\n',
  )
  const back = decoder().push(encodeFrame('SEND', [['k:\n', 'v\\:\r']], Buffer.from('b'), true))[0]
  assert.deepEqual(back?.headers[0], ['k:\n', 'v\\:\r'], 'what the encoder escapes the decoder reads back')
})

test('destinations parse as RabbitMQ names them', () => {
  assert.deepEqual(parseDestination('/queue/a%2Fb', 'SEND'), { kind: 'queue', name: 'a/b' })
  assert.deepEqual(parseDestination('/amq/queue/q', 'SEND'), { kind: 'amq-queue', name: 'q' })
  assert.deepEqual(parseDestination('/topic/a.*.#', 'SEND'), { kind: 'topic', key: 'a.*.#' })
  assert.deepEqual(parseDestination('/exchange/amq.direct/k/x', 'SEND'), {
    kind: 'exchange',
    exchange: 'amq.direct',
    key: 'k/x',
  })
  assert.deepEqual(parseDestination('/exchange/amq.fanout', 'SEND'), {
    kind: 'exchange',
    exchange: 'amq.fanout',
    key: '',
  })
  for (const bad of ['/queue/', '/queue/a/b', '/nowhere/x', 'queue', '/exchange/'])
    assert.throws(() => parseDestination(bad, 'SEND'), /Unknown destination/)
})

test('random bytes either decode or throw MalformedFrameError, whatever the chunking', () => {
  const commands = ['SEND\n', 'ACK\n', 'CONNECT\n', '\n', 'content-length:3\n', 'k:v\n', '\\c', '\u0000', ':']
  const token = fc.oneof(
    fc.constantFrom(...commands).map((s) => Buffer.from(s)),
    fc.uint8Array({ minLength: 0, maxLength: 20 }).map((a) => Buffer.from(a)),
  )
  fc.assert(
    fc.property(
      fc.array(token, { maxLength: 30 }),
      fc.integer({ min: 1, max: 64 }),
      fc.boolean(),
      (parts, step, esc) => {
        const bytes = Buffer.concat(parts)
        const d = decoder(esc)
        try {
          for (let i = 0; i < bytes.length; i += step) d.push(bytes.subarray(i, i + step))
          d.resume()
        } catch (err) {
          if (!(err instanceof MalformedFrameError)) throw err
        }
      },
    ),
    { numRuns: 3000 },
  )
})
