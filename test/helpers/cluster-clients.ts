// Clients of a test cluster that survive failovers: they reconnect through the next node whenever a
// connection drops, and record what the broker confirmed and what they acked.
import amqp from 'amqplib'
import type { ClusterProcess, TestCluster } from './cluster.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Clients not stopped yet: a test that fails half-way stops them all, or its process would never end. */
const running = new Set<{ stop(): Promise<void> }>()

export async function stopClients(): Promise<void> {
  await Promise.all([...running].map((c) => c.stop()))
}

/** Publishes numbered persistent messages with confirms through any node, reconnecting after failures. */
export class Publisher {
  confirmed = new Set<number>()
  /** When the last confirmed batch was published, and when its confirms came. */
  lastBatchStartedAt = 0
  lastConfirmAt = 0
  private next = 0
  private stopped = false
  readonly done: Promise<void>

  constructor(
    private readonly cluster: TestCluster,
    private readonly id: number,
    private readonly queue = 'rounds',
  ) {
    this.done = this.run()
    running.add(this)
  }

  private async run(): Promise<void> {
    let k = this.id
    while (!this.stopped) {
      const node = this.cluster.nodes[k++ % this.cluster.nodes.length] as ClusterProcess
      try {
        const conn = await amqp.connect(`${node.amqpUrl}?heartbeat=2`, { timeout: 2000 })
        conn.on('error', () => undefined)
        const ch = await conn.createConfirmChannel()
        ch.on('error', () => undefined)
        while (!this.stopped) {
          const batch: number[] = []
          const startedAt = Date.now()
          for (let i = 0; i < 50; i++) {
            const n = this.id * 1_000_000_000 + this.next++
            batch.push(n)
            ch.sendToQueue(this.queue, Buffer.from(String(n)), { persistent: true })
          }
          await ch.waitForConfirms()
          for (const n of batch) this.confirmed.add(n)
          this.lastBatchStartedAt = startedAt
          this.lastConfirmAt = Date.now()
        }
        await conn.close().catch(() => undefined)
      } catch {
        await sleep(100)
      }
    }
  }

  stop(): Promise<void> {
    this.stopped = true
    running.delete(this)
    return this.done
  }
}

/** Consumes with manual acks through any node, recording what it acked and what came back. */
export class Consumer {
  acked = new Set<number>()
  redeliveredAfterAck: Array<{ n: number; redelivered: boolean }> = []
  private stopped = false
  readonly done: Promise<void>

  constructor(
    private readonly cluster: TestCluster,
    private readonly queue = 'rounds',
  ) {
    this.done = this.run()
    running.add(this)
  }

  private async run(): Promise<void> {
    let k = 0
    while (!this.stopped) {
      const node = this.cluster.nodes[k++ % this.cluster.nodes.length] as ClusterProcess
      try {
        const conn = await amqp.connect(`${node.amqpUrl}?heartbeat=2`, { timeout: 2000 })
        conn.on('error', () => undefined)
        let open = true
        conn.once('close', () => (open = false))
        const ch = await conn.createChannel()
        ch.on('error', () => undefined)
        await ch.prefetch(100)
        await ch.consume(this.queue, (m) => {
          if (!m) return
          const n = Number(m.content.toString())
          if (this.acked.has(n)) this.redeliveredAfterAck.push({ n, redelivered: m.fields.redelivered })
          ch.ack(m)
          this.acked.add(n)
        })
        while (!this.stopped && open) await sleep(100)
        await conn.close().catch(() => undefined)
      } catch {
        await sleep(100)
      }
    }
  }

  stop(): Promise<void> {
    this.stopped = true
    running.delete(this)
    return this.done
  }
}
