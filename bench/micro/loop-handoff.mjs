// What would it cost to route a message from one event loop to another (queues owned by worker threads)?
// Two threads share a single-producer single-consumer ring in a SharedArrayBuffer, the cheapest handoff
// Node offers (no structured clone, no allocation on the way): the producer writes records
// [length u16 | bytes] in batches and publishes the write index with one Atomics.store + notify per
// batch; the consumer copies each record out into a Buffer (a message it could enqueue) and publishes its
// read index. Reported: nanoseconds per message on each side, both sides running at once on their own
// core, for a 16-byte body plus ~40 bytes of routing facts, as S1's messages would cross.
// Run from bench/micro: node loop-handoff.mjs [--json]
import { Buffer } from 'node:buffer'
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads'

const RING = 1 << 20 // bytes
const MESSAGES = 4_000_000
const RECORD = 56 // payload bytes per message
const BATCH = 256 // messages per index publication (one socket read's worth under load)

if (isMainThread) {
  const sab = new SharedArrayBuffer(RING + 64)
  const run = (role) =>
    new Promise((resolve, reject) => {
      const w = new Worker(new URL(import.meta.url), { workerData: { sab, role } })
      w.once('message', resolve)
      w.once('error', reject)
    })
  const [producer, consumer] = await Promise.all([run('producer'), run('consumer')])
  const solo = soloCosts()
  const result = {
    messages: MESSAGES,
    record_bytes: RECORD,
    batch: BATCH,
    // Each side alone, on this thread: the CPU a crossing costs the sending and the receiving loop.
    write_ns_per_msg: solo.write,
    read_ns_per_msg: solo.read,
    // Both threads at once: how fast messages flow through the ring.
    pipeline_ns_per_msg: Math.round(Math.max(producer.ns, consumer.ns) / MESSAGES),
    checksum_ok: consumer.sum === producer.sum,
  }
  if (process.argv.includes('--json')) console.log(JSON.stringify(result))
  else
    console.log(
      `ring handoff of ${RECORD}-byte messages, batches of ${BATCH}: write ${result.write_ns_per_msg} ns/msg, ` +
        `read ${result.read_ns_per_msg} ns/msg, two threads at once ${result.pipeline_ns_per_msg} ns/msg, ` +
        `checksum ${result.checksum_ok ? 'ok' : 'BAD'}`,
    )
}

/** Per-message cost of each side alone (best of 5 rounds over a ring that never fills or runs dry). */
function soloCosts() {
  const ring = new Uint8Array(RING)
  const msg = new Uint8Array(RECORD)
  const perRound = Math.floor(RING / (RECORD + 2))
  let write = Infinity
  let read = Infinity
  let sum = 0
  for (let round = 0; round < 5; round++) {
    let t = process.hrtime.bigint()
    for (let rep = 0; rep < 20; rep++) {
      let at = 0
      for (let i = 0; i < perRound; i++) {
        msg[0] = i & 0xff
        ring[at] = RECORD >>> 8
        ring[at + 1] = RECORD & 0xff
        ring.set(msg, at + 2)
        at += RECORD + 2
      }
    }
    write = Math.min(write, Number(process.hrtime.bigint() - t) / (20 * perRound))
    t = process.hrtime.bigint()
    for (let rep = 0; rep < 20; rep++) {
      let at = 0
      for (let i = 0; i < perRound; i++) {
        const len = (ring[at] << 8) | ring[at + 1]
        const out = Buffer.allocUnsafe(len)
        out.set(ring.subarray(at + 2, at + 2 + len))
        sum = (sum + out[0]) | 0
        at += len + 2
      }
    }
    read = Math.min(read, Number(process.hrtime.bigint() - t) / (20 * perRound))
  }
  if (sum === 0.5) console.log(sum) // keeps the loop from being optimised away
  return { write: Math.round(write), read: Math.round(read) }
}

if (!isMainThread) {
  const { sab, role } = workerData
  // idx[0]: bytes written (producer), idx[1]: bytes read (consumer); monotonically increasing.
  const idx = new Int32Array(sab, RING, 2)
  const ring = new Uint8Array(sab, 0, RING)
  const t0 = process.hrtime.bigint()
  let sum = 0
  if (role === 'producer') {
    const msg = new Uint8Array(RECORD)
    let written = 0
    for (let i = 0; i < MESSAGES;) {
      const n = Math.min(BATCH, MESSAGES - i)
      const need = n * (RECORD + 2)
      // Wait for room (the consumer publishes its read index per batch).
      while (written - Atomics.load(idx, 1) + need > RING) Atomics.wait(idx, 1, Atomics.load(idx, 1), 1)
      for (let k = 0; k < n; k++, i++) {
        msg[0] = i & 0xff
        sum = (sum + msg[0]) | 0
        let at = written % RING
        ring[at] = RECORD >>> 8
        ring[(at + 1) % RING] = RECORD & 0xff
        at = (at + 2) % RING
        if (at + RECORD <= RING) ring.set(msg, at)
        else for (let j = 0; j < RECORD; j++) ring[(at + j) % RING] = msg[j]
        written += RECORD + 2
      }
      Atomics.store(idx, 0, written | 0)
      Atomics.notify(idx, 0)
    }
  } else {
    let read = 0
    let got = 0
    while (got < MESSAGES) {
      let avail = Atomics.load(idx, 0)
      while (avail === read) {
        Atomics.wait(idx, 0, read, 1)
        avail = Atomics.load(idx, 0)
      }
      while (read !== avail) {
        let at = read % RING
        const len = (ring[at] << 8) | ring[(at + 1) % RING]
        at = (at + 2) % RING
        const out = Buffer.allocUnsafe(len)
        if (at + len <= RING) out.set(ring.subarray(at, at + len))
        else for (let j = 0; j < len; j++) out[j] = ring[(at + j) % RING]
        sum = (sum + out[0]) | 0
        read += len + 2
        got++
      }
      Atomics.store(idx, 1, read | 0)
      Atomics.notify(idx, 1)
    }
  }
  parentPort.postMessage({ ns: Number(process.hrtime.bigint() - t0), sum })
}
