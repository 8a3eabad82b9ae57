// Would a worker thread decoding frames help? Compares decoding basic.publish frames on the main thread
// with handing the decoded messages from another thread (postMessage: clone + receive). Run from bench/micro.
import { Buffer } from 'node:buffer'
import { MessageChannel } from 'node:worker_threads'
import {
  FrameDecoder,
  Reader,
  Writer,
  writeMethodFrame,
  writeRawHeaderFrame,
  writeBodyFrames,
  decodeMethod,
  decodeBasicProperties,
} from '../../dist/src/protocol/index.js'
const N = 200000
const w = new Writer()
const body = Buffer.alloc(16, 1)
const rawProps = Buffer.from([0x10, 0x00, 0x02]) // deliveryMode 2
for (let i = 0; i < N; i++) {
  writeMethodFrame(w, 1, {
    name: 'basic.publish',
    exchange: '',
    routingKey: 'q',
    mandatory: false,
    immediate: false,
  })
  writeRawHeaderFrame(w, 1, body.length, rawProps)
  writeBodyFrames(w, 1, body, 131072)
}
const stream = Buffer.concat(w.take())
const r = new Reader()
let decoded = []
const dec = new FrameDecoder(
  {
    onFrame(type, ch, buf, start, end) {
      const payload = buf.subarray(start, end)
      if (type === 1) {
        r.reset(payload, 4, payload.length)
        decoded.push(decodeMethod(r, payload.readUInt16BE(0), payload.readUInt16BE(2)))
      } else if (type === 2) {
        r.reset(payload, 12, payload.length)
        decoded.push(decodeBasicProperties(r))
      } else decoded.push(Buffer.from(payload))
    },
  },
  1 << 20,
)
let t = process.hrtime.bigint()
for (let off = 0; off < stream.length; off += 65536) dec.push(stream.subarray(off, off + 65536))
const decodeNs = Number(process.hrtime.bigint() - t) / N
const msgs = []
for (let i = 0; i < decoded.length; i += 3) msgs.push({ m: decoded[i], p: decoded[i + 1], b: decoded[i + 2] })
const { port1, port2 } = new MessageChannel()
let received = 0
const done = new Promise((resolve) => {
  port2.on('message', (batch) => {
    received += batch.length
    if (received >= N) resolve()
  })
})
t = process.hrtime.bigint()
for (let i = 0; i < msgs.length; i += 1000) port1.postMessage(msgs.slice(i, i + 1000))
await done
const cloneNs = Number(process.hrtime.bigint() - t) / N
console.log(
  JSON.stringify({
    messages: N,
    decode_ns_per_msg: Math.round(decodeNs),
    post_and_receive_ns_per_msg: Math.round(cloneNs),
  }),
)
port1.close()
port2.close()
