// Fuzzing the decoding path a client controls: FrameDecoder, decodeMethod, decodeBasicProperties and
// Reader.table. Whatever the bytes, the only error allowed is a BrokerError with FRAME_ERROR (501) or
// SYNTAX_ERROR (502); unknown method ids decode to undefined (the channel layer answers 540). Each property
// runs in a worker thread so that a hang fails the test instead of stalling the run, and the worker records
// every Buffer allocation so that a lying length field cannot make the decoder allocate what it claims.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads'
import fc from 'fast-check'
import {
  decodeBasicProperties,
  decodeMethod,
  FrameDecoder,
  HEARTBEAT_FRAME,
  METHOD_IDS,
  methodName,
  Reader,
  Writer,
  writeBodyFrames,
  writeHeaderFrame,
  writeMethodFrame,
} from '../../src/protocol/index.js'
import { BrokerError } from '../../src/shared/index.js'
import { anyMethodArb, tableArb } from './arbitraries.js'
import { bytes, encodeTable, frame, sstr, u16, u32 } from './helpers.js'

const MAX_FRAME = 4096
/** Anything the decoder allocates is bounded by a frame plus the chunk it arrived in. */
const MAX_ALLOCATION = 2 * MAX_FRAME + 4096

// ---- what runs inside the worker ----

const reader = new Reader()

function allowed(e: unknown): boolean {
  return e instanceof BrokerError && (e.replyCode === 501 || e.replyCode === 502)
}

let decoding = false
/**
 * How inputs fared, so that a property that never gets past the first check shows up, and the largest
 * Buffer allocated while decoding (the worker wraps Buffer's allocators).
 */
const stats = { accepted: 0, rejected: 0, methods: 0, allocations: 0, largestAllocation: 0 }
type Stats = typeof stats

/**
 * Runs a decode; an allowed protocol error is fine, anything else is rethrown to fail the property.
 * Allocations are recorded only here, not while fast-check builds inputs.
 */
function tolerant(fn: () => void): void {
  decoding = true
  try {
    fn()
    stats.accepted++
  } catch (e) {
    if (!allowed(e)) throw e
    stats.rejected++
  } finally {
    decoding = false
  }
}

function decodeMethodPayload(payload: Buffer): void {
  reader.reset(payload, 0, payload.length)
  const classId = reader.short()
  const methodId = reader.short()
  const at = reader.pos
  const m = decodeMethod(reader, classId, methodId)
  if (m) stats.methods++
  if (methodName(classId, methodId) === undefined) {
    assert.equal(m, undefined, 'unknown method ids decode to undefined')
    assert.equal(reader.pos, at, 'and read nothing')
  } else assert.equal(m?.name, methodName(classId, methodId))
}

function decodeHeaderPayload(payload: Buffer): void {
  reader.reset(payload, 0, payload.length)
  reader.short()
  reader.short()
  reader.longlong()
  decodeBasicProperties(reader)
}

/** What the connection does with a byte stream: split frames, decode methods and content headers. */
function decodeStream(chunks: readonly Buffer[]): void {
  const decoder = new FrameDecoder(
    {
      onFrame(type, _channel, buf, start, end) {
        const payload = buf.subarray(start, end)
        if (type === 1) decodeMethodPayload(payload)
        else if (type === 2) decodeHeaderPayload(payload)
      },
    },
    MAX_FRAME,
  )
  tolerant(() => {
    for (const c of chunks) decoder.push(c)
  })
}

/** A table that decodes must have consumed exactly the length it declared: no reading past its end. */
function decodeTableBytes(b: Buffer): void {
  tolerant(() => {
    reader.reset(b, 0, b.length).table()
    assert.equal(reader.pos, 4 + b.readUInt32BE(0), 'the table consumed exactly its declared length')
  })
}

/** A table {'': container} whose container nests `depth` deep: arrays of one array, tables of one table. */
function nested(letter: 'A' | 'F', depth: number): Buffer {
  const unit = letter === 'A' ? 5 : 6 // letter and length, plus the nested table's empty key
  const b = Buffer.alloc(4 + 1 + depth * unit - (letter === 'F' ? 1 : 0)) // the innermost table is empty
  b.writeUInt32BE(b.length - 4, 0)
  let at = 5 // after the outer length and the empty key
  for (let i = 0; i < depth; i++) {
    b[at] = letter.charCodeAt(0)
    b.writeUInt32BE(b.length - at - 5, at + 1)
    at += 5
    if (letter === 'F' && i < depth - 1) at++ // the nested table's empty key (zero already)
  }
  return b
}

function chunked(buf: Buffer, cuts: readonly number[]): Buffer[] {
  const sorted = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b)
  const out: Buffer[] = []
  let prev = 0
  for (const c of sorted) {
    out.push(buf.subarray(prev, c))
    prev = c
  }
  out.push(buf.subarray(prev))
  return out
}

/** A valid stream: method frames (with tables), content headers, bodies and heartbeats. */
const validStreamArb: fc.Arbitrary<Buffer> = fc
  .array(
    fc.oneof(
      { weight: 4, arbitrary: anyMethodArb.map((m) => (w: Writer) => writeMethodFrame(w, 1, m)) },
      {
        weight: 2,
        arbitrary: fc
          .tuple(tableArb, fc.integer({ min: 0, max: 300 }))
          .map(([headers, size]) => (w: Writer) => {
            writeHeaderFrame(w, 1, size, { headers, contentType: 'x', timestamp: 5 })
            writeBodyFrames(w, 1, Buffer.alloc(size, 0xce), 128)
          }),
      },
      { weight: 1, arbitrary: fc.constant((w: Writer) => w.bytes(HEARTBEAT_FRAME)) },
    ),
    { minLength: 1, maxLength: 6 },
  )
  .map((writes) => {
    const w = new Writer()
    for (const write of writes) write(w)
    return Buffer.concat(w.take())
  })
  // Method arguments may be longer than the fuzzing frame limit; keep streams the decoder would accept.
  .filter((b) => b.length < MAX_FRAME - 8)

/** A method frame payload with a valid encoding, for mutating below the frame layer. */
const validPayloadArb: fc.Arbitrary<Buffer> = anyMethodArb.map((m) => {
  const w = new Writer()
  writeMethodFrame(w, 0, m)
  const f = Buffer.concat(w.take())
  return f.subarray(7, f.length - 1)
})

/** Every method's ids, and two that are no method. */
const IDS: (readonly [number, number])[] = [...Object.values(METHOD_IDS), [60, 999], [999, 10]]

const tableWriter = new Writer(4096)

const LIES = [0, 1, 0x7f, 0xff, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff]

type Mutation = (b: Buffer) => Buffer
const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })).map(([at, bit]): Mutation => (b) => {
    const c = Buffer.from(b)
    if (c.length > 0) c[at % c.length] = (c[at % c.length] as number) ^ (1 << bit)
    return c
  }),
  fc.nat().map(
    (n): Mutation =>
      (b) =>
        b.subarray(0, n % (b.length + 1)),
  ),
  fc
    .tuple(fc.nat(), fc.oneof(fc.constantFrom(...LIES), fc.nat({ max: 0xffffffff })))
    .map(([at, lie]): Mutation => (b) => {
      const c = Buffer.from(b)
      if (c.length >= 4) c.writeUInt32BE(lie, at % (c.length - 3))
      return c
    }),
  fc.tuple(fc.nat(), fc.integer({ min: -5, max: 5 })).map(([at, delta]): Mutation => (b) => {
    // A length that is off by a little: the lie most likely to slip through bounds checks.
    const c = Buffer.from(b)
    if (c.length >= 4) {
      const i = at % (c.length - 3)
      c.writeUInt32BE((c.readUInt32BE(i) + delta) >>> 0, i)
    }
    return c
  }),
  fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })).map(([at, v]): Mutation => (b) => {
    const c = Buffer.from(b)
    if (c.length > 0) c[at % c.length] = v
    return c
  }),
  fc.tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 8 })).map(([at, ins]): Mutation => (b) => {
    const i = at % (b.length + 1)
    return Buffer.concat([b.subarray(0, i), Buffer.from(ins), b.subarray(i)])
  }),
  fc.tuple(fc.nat(), fc.integer({ min: 1, max: 8 })).map(([at, n]): Mutation => (b) => {
    const i = at % (b.length + 1)
    return Buffer.concat([b.subarray(0, i), b.subarray(i + n)])
  }),
)

const mutate = (b: Buffer, ms: readonly Mutation[]): Buffer => ms.reduce((acc, m) => m(acc), b)

const cutsArb = fc.array(fc.nat(), { maxLength: 8 })

/** Each property, by name, with its run count. */
const PROPERTIES: Record<string, () => void> = {
  'random bytes into the frame decoder': () =>
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), cutsArb, (a, cuts) =>
        decodeStream(chunked(Buffer.from(a), cuts)),
      ),
      { numRuns: 3000 },
    ),
  'well-framed random payloads behind real method ids': () =>
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.constantFrom(1, 1, 1, 2, 3, 8, 0, 9),
            fc.constantFrom(...IDS),
            fc.uint8Array({ maxLength: 200 }),
          ),
          { maxLength: 5 },
        ),
        cutsArb,
        (frames, cuts) => {
          const stream = Buffer.concat(
            frames.map(([type, [c, m], rest]) =>
              frame(
                type,
                1,
                type === 2
                  ? bytes(u16(60), u16(0), Buffer.from(rest))
                  : bytes(u16(c), u16(m), Buffer.from(rest)),
              ),
            ),
          )
          decodeStream(chunked(stream, cuts))
        },
      ),
      { numRuns: 3000 },
    ),
  'mutated valid streams (bit flips, truncations, length lies, inserts, deletes)': () =>
    fc.assert(
      fc.property(
        validStreamArb,
        fc.array(mutationArb, { minLength: 1, maxLength: 4 }),
        cutsArb,
        (s, ms, cuts) => {
          decodeStream(chunked(mutate(s, ms), cuts))
        },
      ),
      { numRuns: 1500 },
    ),
  'mutated method payloads straight into decodeMethod': () =>
    fc.assert(
      fc.property(validPayloadArb, fc.array(mutationArb, { minLength: 1, maxLength: 4 }), (p, ms) => {
        const mutated = mutate(p, ms)
        tolerant(() => decodeMethodPayload(mutated))
      }),
      { numRuns: 4000 },
    ),
  'random and mutated bytes into Reader.table': () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (a) => decodeTableBytes(Buffer.from(a))),
      { numRuns: 2000 },
    )
    fc.assert(
      fc.property(tableArb, fc.array(mutationArb, { minLength: 1, maxLength: 4 }), (t, ms) =>
        decodeTableBytes(mutate(encodeTable(t, tableWriter), ms)),
      ),
      { numRuns: 3000 },
    )
  },
  'tables declaring fewer bytes than they hold never read past their declared end': () =>
    fc.assert(
      fc.property(
        tableArb,
        fc.integer({ min: 1, max: 12 }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        (t, d, tail) => {
          const b = Buffer.concat([encodeTable(t, tableWriter), Buffer.from(tail)])
          const len = b.readUInt32BE(0)
          b.writeUInt32BE(Math.max(0, len - d), 0)
          decodeTableBytes(b)
        },
      ),
      { numRuns: 3000 },
    ),
  'mutated content header properties': () =>
    fc.assert(
      fc.property(tableArb, fc.array(mutationArb, { minLength: 1, maxLength: 3 }), (headers, ms) => {
        const w = new Writer()
        writeHeaderFrame(w, 1, 10, { headers, messageId: 'm', priority: 1, timestamp: 2 })
        const f = Buffer.concat(w.take())
        const mutated = mutate(f.subarray(7, f.length - 1), ms)
        tolerant(() => decodeHeaderPayload(mutated))
      }),
      { numRuns: 2000 },
    ),
}

/** Runs one property with every Buffer allocation recorded; returns a failure message or null. */
function runInWorker(name: string): { failure: string | null; stats: Stats } {
  return { failure: runProperty(name), stats }
}

function runProperty(name: string): string | null {
  for (const key of ['alloc', 'allocUnsafe', 'allocUnsafeSlow'] as const) {
    const orig = Buffer[key] as (size: number, ...rest: unknown[]) => Buffer
    ;(Buffer as unknown as Record<string, unknown>)[key] = function (size: number, ...rest: unknown[]) {
      if (decoding) {
        stats.allocations++
        stats.largestAllocation = Math.max(stats.largestAllocation, size)
      }
      return orig.call(Buffer, size, ...rest)
    }
  }
  try {
    const property = PROPERTIES[name]
    if (!property) return `no property named ${name}`
    property()
    const biggest = stats.largestAllocation
    if (biggest > MAX_ALLOCATION) return `allocated ${biggest} bytes (limit ${MAX_ALLOCATION})`
    return null
  } catch (e) {
    return e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e)
  }
}

if (!isMainThread && workerData?.fuzz) {
  parentPort?.postMessage(runInWorker(workerData.fuzz as string))
}

// ---- what runs in the test process ----

function inWorker(name: string, timeoutMs: number): Promise<Stats> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url), { workerData: { fuzz: name } })
    const timer = setTimeout(() => {
      void worker.terminate()
      reject(new Error(`'${name}' did not finish within ${timeoutMs} ms: the decoder hangs`))
    }, timeoutMs)
    worker.once('message', (r: { failure: string | null; stats: Stats }) => {
      clearTimeout(timer)
      void worker.terminate()
      if (r.failure === null) resolve(r.stats)
      else reject(new Error(r.failure))
    })
    worker.once('error', (e) => {
      clearTimeout(timer)
      reject(e)
    })
  })
}

if (isMainThread) {
  describe('fuzz', () => {
    for (const name of Object.keys(PROPERTIES)) {
      test(name, async (t) => {
        const st = await inWorker(name, 20_000)
        t.diagnostic(JSON.stringify(st))
        assert.ok(st.accepted > 0 && st.rejected > 0, 'some inputs decode and some are refused')
        if (/method|valid streams/.test(name)) assert.ok(st.methods > 0, 'some methods decode')
      })
    }

    test('a table length of 0xffffffff fails fast without allocating', () => {
      const started = process.hrtime.bigint()
      const before = process.memoryUsage().arrayBuffers
      for (const b of [
        u32(0xffffffff),
        bytes(u32(0xffffffff), sstr('k'), 'S'),
        bytes(u32(10), sstr('k'), 'S', u32(0xffffffff)),
        bytes(u32(10), sstr('k'), 'A', u32(0xffffffff)),
        bytes(u32(10), sstr('k'), 'x', u32(0xfffffff0)),
        bytes(u32(6), sstr('k'), 'F', u32(0xffffffff)),
      ]) {
        assert.throws(
          () => reader.reset(b, 0, b.length).table(),
          (e: unknown) => e instanceof BrokerError && e.replyCode === 502,
        )
      }
      // In a method: queue.declare whose arguments table claims 4 GiB.
      const payload = bytes(u16(50), u16(10), u16(0), sstr('q'), 0, u32(0xffffffff))
      assert.throws(
        () => decodeMethodPayload(payload),
        (e: unknown) => e instanceof BrokerError && e.replyCode === 502,
      )
      const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6
      assert.ok(elapsedMs < 50, `took ${elapsedMs} ms`)
      assert.ok(process.memoryUsage().arrayBuffers - before < 1 << 20)
    })

    test('deeply nested arrays and tables are a SYNTAX_ERROR, not a stack overflow', () => {
      for (const letter of ['A', 'F'] as const) {
        assert.throws(
          () => {
            const b = nested(letter, 100_000)
            reader.reset(b, 0, b.length).table()
          },
          (e: unknown) => e instanceof BrokerError && e.replyCode === 502,
          `nested ${letter}`,
        )
        // Just under the limit is fine.
        const ok = nested(letter, 60)
        reader.reset(ok, 0, ok.length).table()
      }
    })

    test('unknown method ids decode to undefined without reading', () => {
      for (const [c, m] of [
        [60, 999],
        [999, 10],
        [0, 0],
        [10, 12],
        [0xffff, 0xffff],
      ] as const) {
        const payload = bytes(u16(c), u16(m), 1, 2, 3)
        decodeMethodPayload(payload)
      }
    })
  })
}
