// One consuming connection of `warren perf stomp`: a subscription with `auto`, `client` or
// `client-individual` acks and a prefetch-count. All of one socket read's acknowledgements go out in one
// write: an ACK per MESSAGE for client-individual, one ACK of the read's last message for client (which
// acknowledges every earlier one). Repeats and gaps are told apart by the (producer, sequence number)
// each body of 8 bytes or more carries.
import type { Headers } from '../../stomp/index.js'
import { frame, headerOf, type InFrame, type StompHandler, type StompPerfConnection } from './connection.js'

export type StompAckMode = 'auto' | 'client' | 'client-individual'

export interface StompConsumerOptions {
  readonly destination: string
  readonly queueHeaders: Headers
  readonly ack: StompAckMode
  readonly prefetch: number
  readonly sequenced: boolean
}

export class StompConsumer implements StompHandler {
  received = 0
  duplicates = 0
  private readonly next: number[] = []
  private acks = ''
  private lastAckId: string | undefined
  private subscribed: (() => void) | undefined

  constructor(
    readonly conn: StompPerfConnection,
    private readonly o: StompConsumerOptions,
  ) {
    conn.handler = this
  }

  get unique(): number {
    return this.received - this.duplicates
  }

  /** SUBSCRIBE, and its RECEIPT: the queue exists and the subscription is on once it comes. */
  async subscribe(): Promise<void> {
    const headers: Headers = [
      ['id', '0'],
      ['destination', this.o.destination],
      ['ack', this.o.ack],
      ['prefetch-count', String(this.o.prefetch)],
      ['receipt', 'subscribed'],
      ...this.o.queueHeaders,
    ]
    const done = new Promise<void>((resolve) => (this.subscribed = resolve))
    this.conn.write(frame('SUBSCRIBE', headers))
    await done
  }

  frame(f: InFrame): void {
    if (f.command === 'RECEIPT') return this.subscribed?.()
    if (f.command !== 'MESSAGE') return
    this.received++
    if (this.o.sequenced) this.track(f.buf.readUInt32BE(f.bodyAt), f.buf.readUInt32BE(f.bodyAt + 4))
    if (this.o.ack === 'auto') return
    const id = headerOf(f.headerText, 'ack')
    if (this.o.ack === 'client') this.lastAckId = id
    else this.acks += `ACK\nid:${id}\n\n\0`
  }

  flush(): void {
    if (this.lastAckId !== undefined) {
      this.acks += `ACK\nid:${this.lastAckId}\n\n\0`
      this.lastAckId = undefined
    }
    if (this.acks === '') return
    this.conn.write(Buffer.from(this.acks, 'utf8'))
    this.acks = ''
  }

  private track(producer: number, seq: number): void {
    const expected = this.next[producer] ?? 0
    if (seq < expected) this.duplicates++
    else this.next[producer] = seq + 1
  }
}
