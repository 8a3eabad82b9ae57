// The consumers of a classic queue, in the order they are served: highest consumer priority (x-priority)
// first, registration order within a priority, round-robin among equals; with single active consumer only
// the first one is served. An exclusive consumer keeps the queue to itself.
import { AccessRefusedError } from '../../../shared/index.js'
import type { Consumer } from '../../consumer.js'

export class ConsumerList {
  /** Sorted by consumer priority, highest first; registration order within a priority. */
  readonly all: Consumer[] = []
  private exclusive: Consumer | undefined
  /** Where round-robin goes on within a priority. */
  private rr = 0

  get length(): number {
    return this.all.length
  }

  /** Refuses a consumer that exclusivity rules out (403, RabbitMQ's wording). */
  check(c: Consumer, queue: string, vhost: string): void {
    if (this.exclusive || (c.exclusive && this.all.length > 0)) {
      throw new AccessRefusedError(`queue '${queue}' in vhost '${vhost}' in exclusive use`)
    }
  }

  add(c: Consumer): void {
    if (c.exclusive) this.exclusive = c
    let at = this.all.length
    while (at > 0 && (this.all[at - 1] as Consumer).priority < c.priority) at--
    this.all.splice(at, 0, c)
  }

  /** Removes the consumer; returns where it was (-1 when it was not there). */
  remove(c: Consumer): number {
    const i = this.all.indexOf(c)
    if (i < 0) return i
    this.all.splice(i, 1)
    if (this.exclusive === c) this.exclusive = undefined
    if (this.rr > i) this.rr--
    return i
  }

  /** Empties the list; returns who was in it. */
  clear(): Consumer[] {
    this.exclusive = undefined
    return this.all.splice(0)
  }

  /** The next consumer that can take a message now, if any. */
  next(singleActive: boolean): Consumer | undefined {
    const cs = this.all
    if (singleActive) {
      const active = cs[0]
      return active?.canTake() ? active : undefined
    }
    for (let start = 0; start < cs.length;) {
      const priority = (cs[start] as Consumer).priority
      let end = start + 1
      while (end < cs.length && (cs[end] as Consumer).priority === priority) end++
      const size = end - start
      for (let k = 0; k < size; k++) {
        const i = start + ((this.rr + k) % size)
        const c = cs[i] as Consumer
        if (c.canTake()) {
          this.rr = i - start + 1
          return c
        }
      }
      start = end
    }
    return undefined
  }

  /** Whether some consumer cannot take messages because its connection's socket is full. */
  anySocketBound(): boolean {
    return this.all.some((c) => c.socketBound())
  }
}
