// Retained messages: the last message published with the retain flag on each topic of a vhost, sent to
// every new subscription whose filter matches it. RabbitMQ keeps them per vhost in its MQTT plugin's own
// store (DETS files in the node's data directory), outside the queues and the definitions; so does Warren:
// in memory, or in one file per vhost under the data directory, rewritten atomically after changes.
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { QoS } from './packets.js'
import { matchesFilter } from './topics.js'

export interface RetainedMessage {
  readonly topic: string
  readonly qos: QoS
  readonly payload: Buffer
}

export class RetainedStore {
  private readonly byVhost = new Map<string, Map<string, RetainedMessage>>()
  private readonly dirty = new Set<string>()
  private writeTimer: NodeJS.Timeout | undefined

  /** `dir`: where the files are kept; undefined keeps retained messages in memory only. */
  constructor(private readonly dir: string | undefined) {
    if (dir !== undefined) this.load(dir)
  }

  /** Retains `msg` on its topic; an empty payload clears the topic instead (§3.3.1.3). */
  retain(vhost: string, msg: RetainedMessage): void {
    let topics = this.byVhost.get(vhost)
    if (msg.payload.length === 0) {
      if (!topics?.delete(msg.topic)) return
    } else {
      if (!topics) this.byVhost.set(vhost, (topics = new Map()))
      topics.set(msg.topic, msg)
    }
    this.changed(vhost)
  }

  /** The retained messages whose topics match `filter`. */
  matching(vhost: string, filter: string): RetainedMessage[] {
    const topics = this.byVhost.get(vhost)
    if (!topics) return []
    if (!filter.includes('+') && !filter.includes('#')) {
      const m = topics.get(filter)
      return m ? [m] : []
    }
    return [...topics.values()].filter((m) => matchesFilter(filter, m.topic))
  }

  count(vhost: string): number {
    return this.byVhost.get(vhost)?.size ?? 0
  }

  /** Writes what changed now (at shutdown). */
  flush(): void {
    if (this.writeTimer) clearTimeout(this.writeTimer)
    this.writeTimer = undefined
    for (const vhost of this.dirty) this.write(vhost)
    this.dirty.clear()
  }

  private changed(vhost: string): void {
    if (this.dir === undefined) return
    this.dirty.add(vhost)
    // Changes within a short while are written together, as RabbitMQ's DETS store syncs on an interval.
    this.writeTimer ??= setTimeout(() => this.flush(), 200)
    this.writeTimer.unref()
  }

  private write(vhost: string): void {
    const dir = this.dir as string
    const records = [...(this.byVhost.get(vhost)?.values() ?? [])].map((m) => ({
      topic: m.topic,
      qos: m.qos,
      payload: m.payload.toString('base64'),
    }))
    mkdirSync(dir, { recursive: true })
    const file = join(dir, fileName(vhost))
    writeFileSync(`${file}.tmp`, JSON.stringify({ vhost, messages: records }))
    renameSync(`${file}.tmp`, file)
  }

  private load(dir: string): void {
    let names: string[]
    try {
      names = readdirSync(dir)
    } catch {
      return
    }
    for (const name of names.filter((n) => n.startsWith('retained-') && n.endsWith('.json'))) {
      const data = JSON.parse(readFileSync(join(dir, name), 'utf8')) as StoredVhost
      const topics = new Map<string, RetainedMessage>()
      for (const r of data.messages)
        topics.set(r.topic, { topic: r.topic, qos: r.qos, payload: Buffer.from(r.payload, 'base64') })
      this.byVhost.set(data.vhost, topics)
    }
  }
}

interface StoredVhost {
  vhost: string
  messages: Array<{ topic: string; qos: QoS; payload: string }>
}

/** A file name any vhost name can have: its UTF-8 bytes in hex. */
function fileName(vhost: string): string {
  return `retained-${Buffer.from(vhost).toString('hex')}.json`
}
