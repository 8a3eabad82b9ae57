// The frame decoder is split-safe: however the socket cuts the byte stream, the same frames come out.
// Oversized frames and bad frame-end octets are FRAME_ERRORs, the former before the payload arrives.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import {
  FrameDecoder,
  HEARTBEAT_FRAME,
  Writer,
  writeBodyFrames,
  writeHeaderFrame,
  writeMethodFrame,
} from '../../src/protocol/index.js'
import { FrameError } from '../../src/shared/index.js'
import { bytes, collectFrames, type Frame, frame, u16, u32 } from './helpers.js'

/** A stream of every kind of frame: methods, a content header, bodies spanning several frames, heartbeats. */
function sampleStream(): Buffer {
  const w = new Writer(128)
  writeMethodFrame(w, 0, { name: 'connection.tune', channelMax: 2047, frameMax: 4096, heartbeat: 60 })
  w.bytes(HEARTBEAT_FRAME)
  for (let ch = 1; ch <= 3; ch++) {
    writeMethodFrame(w, ch, {
      name: 'basic.deliver',
      consumerTag: `ctag-${ch}`,
      deliveryTag: ch * 1000,
      redelivered: ch === 2,
      exchange: 'amq.topic',
      routingKey: 'a.b.c',
    })
    const body = Buffer.alloc(ch * 45, ch)
    writeHeaderFrame(w, ch, body.length, {
      contentType: 'application/json',
      headers: { n: ch, s: 'x'.repeat(ch) },
    })
    writeBodyFrames(w, ch, body, 8 + 40) // 40-byte body frames: one, two or three per message plus a tail
  }
  writeMethodFrame(w, 1, {
    name: 'queue.declare',
    queue: 'q',
    passive: false,
    durable: true,
    exclusive: false,
    autoDelete: true,
    noWait: false,
    arguments: { 'x-max-length': 10, 'x-dead-letter-exchange': 'dlx' },
  })
  writeHeaderFrame(w, 2, 0, {})
  w.bytes(HEARTBEAT_FRAME)
  w.bytes(HEARTBEAT_FRAME)
  return Buffer.concat(w.take())
}

const stream = sampleStream()
const reference = collectFrames([stream])

function splitAt(buf: Buffer, cuts: readonly number[]): Buffer[] {
  const sorted = [...new Set(cuts)].sort((a, b) => a - b)
  const out: Buffer[] = []
  let prev = 0
  for (const c of sorted) {
    out.push(buf.subarray(prev, c))
    prev = c
  }
  out.push(buf.subarray(prev))
  return out
}

describe('frame decoder', () => {
  test('the sample stream has every kind of frame', () => {
    const types = new Set(reference.map((f) => f.type))
    assert.deepEqual([...types].sort(), [1, 2, 3, 8])
    assert.ok(reference.filter((f) => f.type === 3).length >= 6, 'bodies span several frames')
    // The frames are exactly the stream: nothing dropped, nothing invented.
    const rebuilt = Buffer.concat(reference.map((f: Frame) => frame(f.type, f.channel, f.payload)))
    assert.deepEqual(rebuilt, stream)
  })

  test('a frame split at every byte offset decodes identically', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      assert.deepStrictEqual(collectFrames(splitAt(stream, [cut])), reference, `split at ${cut}`)
    }
  })

  test('the stream fed one byte at a time decodes identically', () => {
    const ones = Array.from({ length: stream.length }, (_, i) => stream.subarray(i, i + 1))
    assert.deepStrictEqual(collectFrames(ones), reference)
  })

  test('random chunkings, empty chunks included, decode identically', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: stream.length }), { maxLength: 60 }), (cuts) => {
        assert.deepStrictEqual(collectFrames(splitAt(stream, cuts)), reference)
        // Chunks that are not subarrays of one buffer, and an empty chunk in front of each.
        const copies = splitAt(stream, cuts).flatMap((c) => [Buffer.alloc(0), Buffer.from(c)])
        assert.deepStrictEqual(collectFrames(copies), reference)
      }),
      { numRuns: 300 },
    )
  })

  test('pausing after every method frame and resuming at random points decodes identically', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: stream.length }), { maxLength: 40 }),
        fc.array(fc.boolean(), { minLength: 41, maxLength: 41 }),
        (cuts, resumeAfter) => {
          const frames: Frame[] = []
          let paused = false
          const d: FrameDecoder = new FrameDecoder(
            {
              onFrame(type, channel, buf, start, end) {
                assert.ok(!paused, 'no frame is handed out while paused')
                frames.push({ type, channel, payload: Buffer.from(buf.subarray(start, end)) })
                if (type === 1) {
                  d.pause()
                  paused = true
                }
              },
            },
            1 << 20,
          )
          const resume = (): void => {
            paused = false
            d.resume()
          }
          const drain = (): void => {
            for (;;) {
              const n = frames.length
              resume()
              if (frames.length === n) return
            }
          }
          splitAt(stream, cuts).forEach((c, i) => {
            d.push(c)
            if (resumeAfter[i]) resume() // at most up to the next method frame
          })
          drain()
          assert.deepStrictEqual(frames, reference)
        },
      ),
      { numRuns: 300 },
    )
  })

  test('while paused, no frame is handed out however much input arrives', () => {
    let count = 0
    const d: FrameDecoder = new FrameDecoder({ onFrame: () => (count++, d.pause()) }, 1 << 20)
    d.push(stream.subarray(0, 25)) // the first frame, then part of the second
    assert.equal(count, 1)
    d.push(stream.subarray(25))
    assert.equal(count, 1)
    d.resume()
    assert.equal(count, 2)
  })

  test('payloads handed out are offsets into the chunk when the frame does not straddle chunks', () => {
    const payloads: Buffer[] = []
    const d = new FrameDecoder({ onFrame: (_t, _c, b, s, e) => payloads.push(b.subarray(s, e)) }, 1 << 20)
    d.push(stream)
    assert.ok(payloads.length > 0 && payloads.every((p) => p.buffer === stream.buffer))
  })

  test('only a frame that straddles chunks is copied; the frames after it are views into the chunk', () => {
    // Unpooled copies, so that each chunk has an ArrayBuffer of its own.
    const own = (b: Buffer): Buffer => {
      const c = Buffer.alloc(b.length)
      b.copy(c)
      return c
    }
    const first = own(stream.subarray(0, 30)) // tune (20 bytes), heartbeat (8), then 2 bytes of the third
    const second = own(stream.subarray(30))
    const payloads: Buffer[] = []
    const d = new FrameDecoder({ onFrame: (_t, _c, b, s, e) => payloads.push(b.subarray(s, e)) }, 1 << 20)
    d.push(first)
    d.push(second)
    assert.equal(payloads.length, reference.length)
    assert.ok(payloads.slice(0, 2).every((p) => p.buffer === first.buffer))
    assert.ok(payloads[2]?.buffer !== first.buffer && payloads[2]?.buffer !== second.buffer, 'assembled')
    assert.ok(
      payloads.slice(3).every((p) => p.buffer === second.buffer),
      'the rest are views into the chunk',
    )
  })

  test('a payload of frame_max octets is accepted (RabbitMQ allows the 8 octets of framing on top); one more is a FRAME_ERROR', () => {
    const max = 4096
    const ok = frame(3, 1, Buffer.alloc(max, 7))
    assert.equal(collectFrames([ok], max).length, 1)
    const big = frame(3, 1, Buffer.alloc(max + 1, 7))
    assert.throws(
      () => collectFrames([big], max),
      (e: unknown) =>
        isFrameError(e) && (e as Error).message === 'type 3, all octets = <<>>: {frame_too_large,4097,4088}',
    )
  })

  test('an oversized frame is refused as soon as its header is complete, before its payload', () => {
    const header = bytes(3, u16(1), u32(0xffffffff))
    assert.throws(() => collectFrames([header], 131072), isFrameError)
    // Header cut in two: the error comes with the chunk that completes the size field.
    for (let cut = 1; cut < 7; cut++) {
      const d = new FrameDecoder({ onFrame: () => assert.fail('no frame expected') }, 131072)
      d.push(header.subarray(0, cut))
      assert.throws(() => d.push(header.subarray(cut)), isFrameError, `header cut at ${cut}`)
    }
    // Following a complete frame in the same chunk.
    assert.throws(() => collectFrames([Buffer.concat([HEARTBEAT_FRAME, header])], 131072), isFrameError)
    // Following a partial frame that completes in a later chunk.
    const d = new FrameDecoder({ onFrame: () => {} }, 131072)
    d.push(HEARTBEAT_FRAME.subarray(0, 3))
    assert.throws(() => d.push(Buffer.concat([HEARTBEAT_FRAME.subarray(3), header])), isFrameError)
  })

  test('a bad frame-end octet is a FRAME_ERROR, however the frame arrives', () => {
    const bad = Buffer.from(frame(1, 1, bytes(u16(60), u16(80), Buffer.alloc(9))))
    bad[bad.length - 1] = 0xcd
    assert.throws(() => collectFrames([bad]), isFrameError)
    for (let cut = 1; cut < bad.length; cut++) {
      assert.throws(() => collectFrames(splitAt(bad, [cut])), isFrameError, `cut at ${cut}`)
    }
    // The frames before it were delivered.
    const got: number[] = []
    const d = new FrameDecoder({ onFrame: (t) => got.push(t) }, 1 << 20)
    assert.throws(() => d.push(Buffer.concat([HEARTBEAT_FRAME, bad])), isFrameError)
    assert.deepEqual(got, [8])
  })

  test('maxFrameSize can change between frames (after connection.tune-ok)', () => {
    const d = new FrameDecoder({ onFrame: () => {} }, 1 << 20)
    d.push(frame(3, 1, Buffer.alloc(5000)))
    d.maxFrameSize = 4096
    assert.throws(() => d.push(frame(3, 1, Buffer.alloc(5000))), isFrameError)
  })
})

function isFrameError(e: unknown): boolean {
  return e instanceof FrameError && e.replyCode === 501 && e.hard
}
