// One behavioural suite for every MessageStore implementation. `open` gives a fresh, empty store; `reopen`,
// when given, gives a new store over the data of a closed one (a broker restart), which adds the
// recovery tests.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { MessageStore, PersistedMessage, QueueStore, RecoveredMessage } from '../../src/core/ports.js'

export type OpenStore = () => Promise<MessageStore>
export type ReopenStore = (closed: MessageStore) => Promise<MessageStore>

function message(n: number, extra: Partial<PersistedMessage> = {}): PersistedMessage {
  return {
    exchange: 'amq.direct',
    routingKey: `key.${n}`,
    properties: { contentType: 'text/plain', deliveryMode: 2, headers: { n, tag: 'x' } },
    body: Buffer.from(`message ${n}`),
    ...extra,
  }
}

async function recoverAll(q: QueueStore): Promise<RecoveredMessage[]> {
  const out: RecoveredMessage[] = []
  await q.recover((m) => out.push(m))
  return out
}

function assertSameMessage(got: PersistedMessage, want: PersistedMessage): void {
  assert.equal(got.exchange, want.exchange)
  assert.equal(got.routingKey, want.routingKey)
  assert.deepEqual(got.properties, want.properties)
  assert.deepEqual(got.body, want.body)
}

/** Registers the suite under `name`. */
export function runStoreConformance(name: string, open: OpenStore, reopen?: ReopenStore): void {
  describe(`${name} store conformance`, () => {
    const withQueue = async (fn: (q: QueueStore, s: MessageStore) => Promise<void>): Promise<void> => {
      const s = await open()
      try {
        await fn(await s.openQueue('/', 'q'), s)
      } finally {
        await s.close()
      }
    }

    test('append returns increasing ids and read gives the message back', () =>
      withQueue(async (q) => {
        const ids = [1, 2, 3].map((n) => q.append(message(n)))
        assert.ok(ids[0]! < ids[1]! && ids[1]! < ids[2]!)
        for (const [i, id] of ids.entries()) assertSameMessage(await q.read(id), message(i + 1))
        await q.flush()
        assertSameMessage(await q.read(ids[1]!), message(2))
      }))

    test('raw property bytes are kept as given', () =>
      withQueue(async (q) => {
        // flags word: content-type set; then shortstr "a/b"
        const raw = Buffer.from([0x80, 0x00, 3, 0x61, 0x2f, 0x62])
        const id = q.append(message(1, { properties: { contentType: 'a/b' }, rawProperties: raw }))
        await q.flush()
        const got = await q.read(id)
        assert.deepEqual(got.properties, { contentType: 'a/b' })
        if (got.rawProperties) assert.deepEqual(got.rawProperties, raw)
      }))

    test('empty, unicode and large messages round-trip', () =>
      withQueue(async (q) => {
        const cases = [
          message(1, { exchange: '', routingKey: '', body: Buffer.alloc(0), properties: {} }),
          message(2, { exchange: 'échange', routingKey: 'ключ.🐇' }),
          message(3, { body: Buffer.alloc(300 * 1024, 7) }),
        ]
        const ids = cases.map((m) => q.append(m))
        await q.flush()
        for (const [i, id] of ids.entries()) assertSameMessage(await q.read(id), cases[i]!)
      }))

    test('remove forgets a message; removing twice or an unknown id is harmless', () =>
      withQueue(async (q) => {
        const a = q.append(message(1))
        const b = q.append(message(2))
        q.remove(a)
        q.remove(a)
        q.remove(b + 1000)
        q.markDelivered(a)
        await q.flush()
        await assert.rejects(q.read(a))
        assert.deepEqual(
          (await recoverAll(q)).map((m) => m.id),
          [b],
        )
      }))

    test('stats count messages and body bytes', () =>
      withQueue(async (q) => {
        assert.deepEqual(q.stats(), { messages: 0, bytes: 0 })
        const a = q.append(message(1, { body: Buffer.alloc(10) }))
        q.append(message(2, { body: Buffer.alloc(32) }))
        assert.deepEqual(q.stats(), { messages: 2, bytes: 42 })
        q.remove(a)
        assert.deepEqual(q.stats(), { messages: 1, bytes: 32 })
      }))

    test('recover gives live messages in id order with their delivered flag', () =>
      withQueue(async (q) => {
        const ids = Array.from({ length: 20 }, (_, n) => q.append(message(n)))
        for (const id of ids.filter((_, i) => i % 3 === 0)) q.remove(id)
        for (const id of ids.filter((_, i) => i % 2 === 0)) q.markDelivered(id)
        await q.flush()
        const got = await recoverAll(q)
        const want = ids.filter((_, i) => i % 3 !== 0)
        assert.deepEqual(
          got.map((m) => m.id),
          want,
        )
        for (const m of got) {
          const i = ids.indexOf(m.id)
          assert.equal(m.delivered, i % 2 === 0)
          assertSameMessage(m, message(i))
        }
      }))

    test('concurrent flushes all resolve, with or without pending writes', () =>
      withQueue(async (q) => {
        await q.flush()
        const flushes: Array<Promise<void>> = []
        for (let i = 0; i < 50; i++) {
          q.append(message(i))
          flushes.push(q.flush())
        }
        await Promise.all(flushes)
        await q.flush()
        assert.equal(q.stats().messages, 50)
      }))

    test('openQueue keeps queues apart and listQueues names them', () =>
      withQueue(async (q, s) => {
        const odd = await s.openQueue('vh/ä', 'q/../x\u0000'.padEnd(255, 'z'))
        q.append(message(1))
        odd.append(message(2))
        odd.append(message(3))
        await Promise.all([q.flush(), odd.flush()])
        assert.equal(q.stats().messages, 1)
        assert.equal(odd.stats().messages, 2)
        const names = (await s.listQueues()).map((x) => `${x.vhost}|${x.queue}`).sort()
        assert.deepEqual(names, [`/|q`, `vh/ä|${'q/../x\u0000'.padEnd(255, 'z')}`])
      }))

    test('destroy deletes the queue: not listed, and a reopened queue is empty', () =>
      withQueue(async (q, s) => {
        q.append(message(1))
        await q.flush()
        await q.destroy()
        assert.deepEqual(await s.listQueues(), [])
        assert.throws(() => q.append(message(2)))
        const again = await s.openQueue('/', 'q')
        assert.deepEqual(again.stats(), { messages: 0, bytes: 0 })
        assert.deepEqual(await recoverAll(again), [])
      }))

    test('a closed queue store refuses work', () =>
      withQueue(async (q) => {
        await q.close()
        assert.throws(() => q.append(message(1)))
        await assert.rejects(q.flush())
      }))

    if (reopen) runRecoveryTests(open, reopen)
  })
}

function runRecoveryTests(open: OpenStore, reopen: ReopenStore): void {
  const restart = async (s: MessageStore): Promise<MessageStore> => {
    await s.close()
    return reopen(s)
  }

  test('after a restart: same messages, delivered flags, stats, names', async () => {
    let s = await open()
    const q = await s.openQueue('v', 'durable')
    const ids = Array.from({ length: 10 }, (_, n) => q.append(message(n)))
    q.remove(ids[0]!)
    q.remove(ids[5]!)
    q.markDelivered(ids[1]!)
    await q.flush()
    s = await restart(s)
    try {
      assert.deepEqual(await s.listQueues(), [{ vhost: 'v', queue: 'durable' }])
      const r = await s.openQueue('v', 'durable')
      assert.equal(r.stats().messages, 8)
      const got = await recoverAll(r)
      assert.deepEqual(
        got.map((m) => m.id),
        ids.filter((_, i) => i !== 0 && i !== 5),
      )
      assert.deepEqual(
        got.map((m) => m.delivered),
        got.map((m) => m.id === ids[1]),
      )
      for (const m of got) assertSameMessage(m, message(ids.indexOf(m.id)))
      assertSameMessage(await r.read(ids[9]!), message(9))
    } finally {
      await s.close()
    }
  })

  test('after a restart, messages keep the expiry they were appended with', async () => {
    let s = await open()
    const q = await s.openQueue('v', 'ttl')
    const withTtl = q.append(message(1), 1_795_000_000_123.5)
    const without = q.append(message(2))
    await q.flush()
    s = await restart(s)
    try {
      const got = await recoverAll(await s.openQueue('v', 'ttl'))
      assert.deepEqual(
        got.map((m) => [m.id, m.expiresAt]),
        [
          [withTtl, 1_795_000_000_123.5],
          [without, undefined],
        ],
      )
    } finally {
      await s.close()
    }
  })

  test('after a restart, new ids are greater than recovered ones and removals persist', async () => {
    let s = await open()
    let q = await s.openQueue('/', 'ids')
    const first = [q.append(message(1)), q.append(message(2))]
    await q.flush()
    s = await restart(s)
    q = await s.openQueue('/', 'ids')
    const next = q.append(message(3))
    assert.ok(next > first[1]!)
    q.remove(first[0]!)
    await q.flush()
    s = await restart(s)
    try {
      q = await s.openQueue('/', 'ids')
      assert.deepEqual(
        (await recoverAll(q)).map((m) => m.id),
        [first[1], next],
      )
    } finally {
      await s.close()
    }
  })

  test('close flushes what was appended without an explicit flush', async () => {
    let s = await open()
    const q = await s.openQueue('/', 'noflush')
    q.append(message(1))
    s = await restart(s)
    try {
      assert.equal((await recoverAll(await s.openQueue('/', 'noflush'))).length, 1)
    } finally {
      await s.close()
    }
  })
}
