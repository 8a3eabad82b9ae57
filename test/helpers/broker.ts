// Starts a real broker in-process on a free port for a test file, through the public embedding API.
import amqp from 'amqplib'
import { after, before } from 'node:test'
import { type RunningBroker, startBroker, type StartOptions } from '../../src/index.js'

export function useBroker(opts: StartOptions = {}): { readonly broker: RunningBroker; readonly url: string } {
  const state: { broker?: RunningBroker } = {}
  before(async () => {
    state.broker = await startBroker({ amqpPort: 0, bind: '127.0.0.1', logLevel: 'silent', ...opts })
  })
  after(async () => {
    await state.broker?.close()
  })
  return {
    get broker() {
      if (!state.broker) throw new Error('broker not started yet')
      return state.broker
    },
    get url() {
      if (!state.broker) throw new Error('broker not started yet')
      return state.broker.amqpUrl
    },
  }
}

/** Waits until `cond` holds, polling; fails after `ms`. */
export async function eventually(cond: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 5))
  }
}

/** Connects and returns the error a channel is closed with by `op`. */
export async function channelError(
  url: string,
  op: (ch: amqp.Channel) => Promise<unknown>,
): Promise<{ code: number; message: string }> {
  const conn = await amqp.connect(url)
  conn.on('error', () => {})
  try {
    const ch = await conn.createChannel()
    ch.on('error', () => {})
    try {
      await op(ch)
    } catch (err) {
      const e = err as { code?: number; message: string }
      return { code: e.code ?? 0, message: e.message }
    }
    throw new Error('operation did not fail')
  } finally {
    await conn.close().catch(() => {})
  }
}

export { amqp }
