// The broker a test file talks to: Warren started in-process (as useBroker does), or, when the
// WARREN_TEST_URL environment variable is set, that external broker (the reference RabbitMQ), so that the
// same expectations can be checked against both:
//   WARREN_TEST_URL=amqp://guest:guest@127.0.0.1:5676 node --test dist/test/integration/confirms.test.js
import { randomBytes } from 'node:crypto'
import { after, before } from 'node:test'
import amqp from 'amqplib'
import { type RunningBroker, startBroker, type StartOptions } from '../../src/index.js'

export interface Target {
  readonly url: string
  /** True when the tests run against WARREN_TEST_URL rather than an in-process Warren. */
  readonly external: boolean
  /** The in-process Warren; throws when the target is external. */
  readonly broker: RunningBroker
}

export const EXTERNAL_URL = process.env['WARREN_TEST_URL']

export function useTarget(opts: StartOptions = {}): Target {
  const state: { broker?: RunningBroker } = {}
  after(async () => {
    await Promise.all([...open].map((c) => c.close().catch(() => {})))
    open.clear()
  })
  if (EXTERNAL_URL === undefined) {
    before(async () => {
      state.broker = await startBroker({ amqpPort: 0, bind: '127.0.0.1', logLevel: 'silent', ...opts })
    })
    after(async () => {
      await state.broker?.close()
    })
  }
  return {
    external: EXTERNAL_URL !== undefined,
    get url() {
      if (EXTERNAL_URL !== undefined) return EXTERNAL_URL
      if (!state.broker) throw new Error('broker not started yet')
      return state.broker.amqpUrl
    },
    get broker() {
      if (!state.broker) throw new Error('no in-process broker (external target)')
      return state.broker
    },
  }
}

/** A name no other test run uses, so that runs against a shared external broker do not collide. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(6).toString('hex')}`
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

const open = new Set<amqp.ChannelModel>()

/** Opens a connection that is closed (ignoring errors) when the test file ends, if not before. */
export async function connect(t: Target): Promise<amqp.ChannelModel> {
  const conn = await amqp.connect(t.url)
  conn.on('error', () => {})
  open.add(conn)
  conn.on('close', () => open.delete(conn))
  return conn
}

/** A channel whose 'error' events are swallowed (tests await the failing operation instead). */
export async function channel(conn: amqp.ChannelModel): Promise<amqp.Channel> {
  const ch = await conn.createChannel()
  ch.on('error', () => {})
  return ch
}

export async function confirmChannel(conn: amqp.ChannelModel): Promise<amqp.ConfirmChannel> {
  const ch = await conn.createConfirmChannel()
  ch.on('error', () => {})
  return ch
}

/** The reply code and text of the error a failed operation was rejected with. */
export interface ServerError {
  code: number
  text: string
}

/** amqplib reports a server close as `... with message "TEXT"`; this takes the text back out. */
export function serverError(err: unknown): ServerError {
  const e = err as { code?: number; message?: string }
  const m = /with message "(.*)"$/s.exec(e.message ?? '')
  return { code: e.code ?? 0, text: m?.[1] ?? e.message ?? String(err) }
}

/** Runs `op` and returns the server error that rejected it; fails if it did not fail. */
export async function rejection(op: () => Promise<unknown>): Promise<ServerError> {
  try {
    await op()
  } catch (err) {
    return serverError(err)
  }
  throw new Error('operation did not fail')
}

/** The error a channel is closed with after `op` (for operations without a reply, like publish). */
export function channelClosed(ch: amqp.Channel): Promise<ServerError> {
  return new Promise((resolve) => ch.once('error', (err: unknown) => resolve(serverError(err))))
}

/** The error a connection is closed with. */
export function connectionClosed(conn: amqp.ChannelModel): Promise<ServerError> {
  return new Promise((resolve) => conn.once('error', (err: unknown) => resolve(serverError(err))))
}

/** basic.get, retried for a while: a publish on another channel may not have arrived yet. */
export async function getOne(ch: amqp.Channel, queue: string, noAck = false): Promise<amqp.GetMessage> {
  for (let i = 0; i < 200; i++) {
    const m = await ch.get(queue, { noAck })
    if (m) return m
    await sleep(5)
  }
  throw new Error(`no message in ${queue}`)
}

/** Drains a queue with basic.get noAck after a round trip, returning the bodies in order. */
export async function drain(ch: amqp.Channel, queue: string): Promise<string[]> {
  const out: string[] = []
  for (;;) {
    const m = await ch.get(queue, { noAck: true })
    if (!m) return out
    out.push(m.content.toString())
  }
}

/** A round trip on the channel: everything published on it before has been processed by the broker. */
export async function sync(ch: amqp.Channel): Promise<void> {
  await ch.checkExchange('amq.direct')
}

/** Polls the queue's ready count until it equals `n` (or fails after `ms`). */
export async function waitForCount(ch: amqp.Channel, queue: string, n: number, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms
  for (;;) {
    const { messageCount } = await ch.checkQueue(queue)
    if (messageCount === n) return
    if (Date.now() > deadline) throw new Error(`queue ${queue} has ${messageCount} messages, expected ${n}`)
    await sleep(10)
  }
}

/** Collects deliveries of a consumer; `next()` resolves with the next one. */
export class Inbox {
  readonly messages: amqp.ConsumeMessage[] = []
  cancelled = false
  private waiters: Array<() => void> = []
  readonly onMessage = (m: amqp.ConsumeMessage | null): void => {
    if (m) this.messages.push(m)
    else this.cancelled = true
    for (const w of this.waiters.splice(0)) w()
  }
  get bodies(): string[] {
    return this.messages.map((m) => m.content.toString())
  }
  /** Waits until `n` messages have arrived. */
  async count(n: number, ms = 2000): Promise<amqp.ConsumeMessage[]> {
    const deadline = Date.now() + ms
    while (this.messages.length < n) {
      if (Date.now() > deadline) throw new Error(`got ${this.messages.length} of ${n} messages`)
      await new Promise<void>((r) => {
        this.waiters.push(r)
        setTimeout(r, 20)
      })
    }
    return this.messages.slice(0, n)
  }
  async untilCancelled(ms = 2000): Promise<void> {
    const deadline = Date.now() + ms
    while (!this.cancelled) {
      if (Date.now() > deadline) throw new Error('consumer was not cancelled')
      await new Promise<void>((r) => {
        this.waiters.push(r)
        setTimeout(r, 20)
      })
    }
  }
}

/** amqplib's channel RPC for methods it has no API for (tx.*, channel.flow). */
export function rpc(ch: amqp.Channel, method: number, fields: object, expect: number): Promise<unknown> {
  return (ch as unknown as { rpc(m: number, f: object, e: number): Promise<unknown> }).rpc(
    method,
    fields,
    expect,
  )
}

/** Method ids as amqplib numbers them: class << 16 | method. */
export const M = {
  channelFlow: (20 << 16) | 20,
  channelFlowOk: (20 << 16) | 21,
  txSelect: (90 << 16) | 10,
  txSelectOk: (90 << 16) | 11,
  txCommit: (90 << 16) | 20,
  txCommitOk: (90 << 16) | 21,
  txRollback: (90 << 16) | 30,
  txRollbackOk: (90 << 16) | 31,
  basicPublish: (60 << 16) | 40,
} as const

export { amqp }
