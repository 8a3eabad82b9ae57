// The replication stream's codec: every frame type round-trips, whatever the chunking (split at every
// byte), and random or truncated input is refused with an error, never a crash or a hang.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { test } from 'node:test'
import {
  ackFrame,
  appendFrame,
  FRAME_TYPE,
  type Frame,
  FrameReader,
  idFrame,
  jsonFrame,
  openFrame,
  storeFrame,
  textFrame,
} from '../../src/cluster/replication-frames.js'

function sample(): { bytes: Buffer; frames: Frame[] } {
  const body = Buffer.from('héllo wörld')
  const props = Buffer.from([
    0x90, 0x00, 0x0a, 0x74, 0x65, 0x78, 0x74, 0x2f, 0x70, 0x6c, 0x61, 0x69, 0x6e, 0x02,
  ])
  const append = {
    store: 7,
    id: 2 ** 40 + 3,
    expiresAt: 1_764_000_000_000,
    delivered: true,
    exchange: 'amq.tøpic',
    routingKey: 'a.b.c',
    rawProperties: props,
  }
  const parts = [
    jsonFrame(FRAME_TYPE.hello, { node: 'n1@host', cluster: 'warren' }),
    jsonFrame(FRAME_TYPE.begin, { leader: 'n2@host', epoch: 42 }),
    textFrame(FRAME_TYPE.definitions, JSON.stringify({ vhosts: [{ name: '/' }] })),
    openFrame(7, '/', 'queue ünïcode'),
    ...appendFrame(append, body),
    idFrame(FRAME_TYPE.delivered, 7, 2 ** 40 + 3),
    idFrame(FRAME_TYPE.remove, 7, 1),
    storeFrame(FRAME_TYPE.destroy, 7),
    jsonFrame(FRAME_TYPE.end, { seq: 12, checksums: { '7': '1:abc' } }),
    ackFrame(99),
  ]
  const frames: Frame[] = [
    { type: FRAME_TYPE.hello, node: 'n1@host', cluster: 'warren' },
    { type: FRAME_TYPE.begin, leader: 'n2@host', epoch: 42 },
    { type: FRAME_TYPE.definitions, json: '{"vhosts":[{"name":"/"}]}' },
    { type: FRAME_TYPE.open, store: 7, vhost: '/', queue: 'queue ünïcode' },
    { type: FRAME_TYPE.append, ...append, body },
    { type: FRAME_TYPE.delivered, store: 7, id: 2 ** 40 + 3 },
    { type: FRAME_TYPE.remove, store: 7, id: 1 },
    { type: FRAME_TYPE.destroy, store: 7 },
    { type: FRAME_TYPE.end, seq: 12, checksums: { '7': '1:abc' } },
    { type: FRAME_TYPE.ack, seq: 99 },
  ]
  return { bytes: Buffer.concat(parts), frames }
}

test('every frame type round-trips, split at every byte', () => {
  const { bytes, frames } = sample()
  for (let cut = 0; cut <= bytes.length; cut++) {
    const reader = new FrameReader()
    const got: Frame[] = []
    reader.push(bytes.subarray(0, cut), (f) => got.push(f))
    reader.push(bytes.subarray(cut), (f) => got.push(f))
    assert.deepEqual(got, frames, `cut at ${cut}`)
  }
  const reader = new FrameReader()
  const got: Frame[] = []
  for (const b of bytes) reader.push(Buffer.from([b]), (f) => got.push(f))
  assert.deepEqual(got, frames)
})

test('random and corrupted input is refused with an error', () => {
  const { bytes } = sample()
  let refused = 0
  for (let i = 0; i < 3000; i++) {
    const input = i % 2 === 0 ? randomBytes(1 + (i % 200)) : Buffer.from(bytes)
    if (i % 2 === 1) for (let k = 0; k < 3; k++) input[(i * 7 + k * 13) % input.length] = (i * 31 + k) & 0xff
    try {
      new FrameReader().push(input, () => undefined)
    } catch (err) {
      assert.ok(err instanceof Error)
      refused++
    }
  }
  assert.ok(refused > 0)
  assert.throws(
    () => new FrameReader().push(Buffer.from([0xff, 0xff, 0xff, 0xff, 1]), () => undefined),
    /bytes/,
  )
  assert.throws(() => new FrameReader().push(Buffer.from([0, 0, 0, 1, 200]), () => undefined), /unknown/)
})
