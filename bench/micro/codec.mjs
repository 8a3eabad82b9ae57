// Codec micro-benchmarks: the broker's per-message work on the wire. Decoding is what a publish costs
// on the way in (frame splitting, method decode, content header); encoding is what a delivery costs on
// the way out (basic.deliver method frame, header from the publisher's raw property bytes, body frames),
// both through writeDelivery, which the broker uses, and through the generic encoders it replaced.
import { Buffer } from 'node:buffer'
import {
  decodeBasicProperties,
  decodeMethod,
  FrameDecoder,
  Reader,
  Writer,
  writeBodyFrames,
  writeHeaderFrame,
  writeMethodFrame,
  writeRawHeaderFrame,
  writeDelivery,
  encodeShortString,
  encodeProperties,
} from '../../dist/src/protocol/index.js'
import { bench, section } from './harness.mjs'

const FRAME_MAX = 131072
const publish = {
  name: 'basic.publish',
  exchange: '',
  routingKey: 'amqpbench_s1_12345_0_q0',
  mandatory: false,
  immediate: false,
}
const props = {
  contentType: 'application/json',
  deliveryMode: 2,
  headers: { 'x-trace': 'abc', n: 42 },
  messageId: 'm-1',
}

function publishes(n, size, withProps) {
  const w = new Writer()
  const body = Buffer.alloc(size, 1)
  for (let i = 0; i < n; i++) {
    writeMethodFrame(w, 1, publish)
    writeHeaderFrame(w, 1, size, withProps ? props : {})
    writeBodyFrames(w, 1, body, FRAME_MAX)
  }
  return Buffer.concat(w.take())
}

/** Splits `stream` into 64 KiB socket-like chunks and decodes every frame as the broker does. */
function decodeAll(stream, chunk) {
  const reader = new Reader()
  let methods = 0
  const dec = new FrameDecoder(
    {
      onFrame(type, _ch, buf, start, end) {
        if (type === 1) {
          reader.reset(buf, start, end)
          const c = reader.short()
          const m = reader.short()
          if (decodeMethod(reader, c, m)) methods++
        } else if (type === 2) {
          reader.reset(buf, start + 12, end)
          decodeBasicProperties(reader)
        }
      },
    },
    FRAME_MAX,
  )
  for (let at = 0; at < stream.length; at += chunk) dec.push(stream.subarray(at, at + chunk))
  return methods
}

section('codec: decode (broker ingress, 64 KiB socket chunks)')
const N = 10_000
for (const [size, withProps] of [
  [16, false],
  [1024, false],
  [16, true],
]) {
  const stream = publishes(N, size, withProps)
  await bench(
    `decode publish+header+body, ${size} B body${withProps ? ', 4 properties' : ''}`,
    () => decodeAll(stream, 65536),
    {
      batch: N,
      unit: 'msg',
      bytesPerOp: stream.length / N,
    },
  )
}

section('codec: encode (broker egress)')
const raw = encodeProperties(new Writer(), props)
for (const size of [16, 1024, 65536]) {
  const body = Buffer.alloc(size, 2)
  const w = new Writer()
  let tag = 0
  const ctag = encodeShortString('amq.ctag-abcdefghijklmnop')
  await bench(
    `writeDelivery (as the broker delivers), ${size} B body`,
    () => {
      for (let i = 0; i < 1000; i++)
        writeDelivery(w, 1, ctag, ++tag, false, '', 'amqpbench_s1_12345_0_q0', raw, body, FRAME_MAX)
      w.take()
    },
    { batch: 1000, unit: 'msg', bytesPerOp: size },
  )
  await bench(
    `generic encoders: deliver method + raw header + body, ${size} B body`,
    () => {
      for (let i = 0; i < 1000; i++) {
        writeMethodFrame(w, 1, {
          name: 'basic.deliver',
          consumerTag: 'amq.ctag-abcdefghijklmnop',
          deliveryTag: ++tag,
          redelivered: false,
          exchange: '',
          routingKey: 'amqpbench_s1_12345_0_q0',
        })
        writeRawHeaderFrame(w, 1, size, raw)
        writeBodyFrames(w, 1, body, FRAME_MAX)
      }
      w.take()
    },
    { batch: 1000, unit: 'msg', bytesPerOp: size },
  )
}
{
  const w = new Writer()
  await bench(
    'encode basic.ack method frame',
    () => {
      for (let i = 0; i < 1000; i++)
        writeMethodFrame(w, 1, { name: 'basic.ack', deliveryTag: i, multiple: false })
      w.take()
    },
    { batch: 1000, unit: 'frame' },
  )
  await bench(
    'encode basic properties (4 incl. a 2-entry table)',
    () => {
      for (let i = 0; i < 1000; i++) writeHeaderFrame(w, 1, 16, props)
      w.take()
    },
    { batch: 1000, unit: 'header' },
  )
}
