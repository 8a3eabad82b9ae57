// Routing a publish: from its exchange through exchange-to-exchange bindings, alternate exchanges and
// the CC and BCC headers (sender-selected distribution) to the queues it reaches, each reached once, then
// enqueueing it on them. Runs per message, so it allocates nothing in the common case: the destination
// list, the result and the visited marks (a per-publish epoch instead of a Set) are reused.
import { clearArray, type FieldTable } from '../shared/index.js'
import type { Destination, EnqueueWatcher, Exchange, RouteSink } from './exchange/index.js'
import type { Message } from './message.js'
import { type DurabilityTicket, isQueue, type Queue } from './queue-types/index.js'

export interface PublishResult {
  /** How many queues the message reached. */
  queues: number
  /** A queue refused it (reject-publish overflow): publisher confirms answer with basic.nack. */
  rejected: boolean
  /** What its confirm waits for: the tickets of the durable queues a persistent message reached. */
  tickets: DurabilityTicket[]
  /** Names of the queues reached, collected only while tracing is on. */
  queueNames: string[]
  /** A queue reached whose consumers cannot keep up: the publisher should wait for it (credit flow). */
  congested: Queue | undefined
}

/** CC and BCC header keys (sender-selected distribution), plus BCC keys kept from an earlier hop. */
function senderKeys(headers: FieldTable | undefined, bccKeys: readonly string[] | undefined): string[] {
  const keys: string[] = []
  for (const h of ['CC', 'BCC']) {
    const v = headers?.[h]
    if (Array.isArray(v)) for (const k of v) if (typeof k === 'string') keys.push(k)
  }
  if (bccKeys) keys.push(...bccKeys)
  return keys
}

/** BCC routes but is never delivered. */
function stripBcc(msg: Message): Message {
  const headers = msg.properties.headers
  if (!headers || headers['BCC'] === undefined) return msg
  const { BCC: bcc, ...rest } = headers
  const bccKeys = Array.isArray(bcc) ? bcc.filter((k): k is string => typeof k === 'string') : []
  return msg.with({ properties: { ...msg.properties, headers: rest }, bccKeys })
}

export class Router {
  /** Destinations reached by the publish in progress; reused to avoid an array per publish. */
  private routed: Queue[] = []
  private epoch = 0
  private readonly sink: RouteSink = {
    add: (d) => this.addDestination(d),
    hold: (ticket) => {
      this.held = true
      if (ticket && !this.heldTickets.includes(ticket)) this.heldTickets.push(ticket)
    },
    watch: (w) => {
      this.watched = true
      if (!this.watchers.includes(w)) this.watchers.push(w)
    },
  }
  /**
   * Exchanges of the last route that want to hear what the queues answered (see RouteSink.watch), and a
   * flag the publish path tests instead of the list, for the same reason as `held`.
   */
  private watched = false
  private readonly watchers: EnqueueWatcher[] = []
  /**
   * Whether the last route was kept by an exchange (a delayed one), and what keeping it durably waits for.
   * The publish path tests the flag alone: holding is rare, and S1 feels every extra step per message.
   */
  held = false
  readonly heldTickets: DurabilityTicket[] = []
  private routingMessage: Message | undefined
  /** CC/BCC keys of the message being routed: every exchange on the way routes them too. */
  private routingExtraKeys: string[] | undefined

  constructor(private readonly exchanges: ReadonlyMap<string, Exchange>) {}

  /**
   * Routes a message from an exchange and enqueues it on every queue reached, following
   * exchange-to-exchange bindings, alternate exchanges and CC/BCC headers. The result object is reused:
   * read it before the next publish.
   */
  publish(ex: Exchange, msg: Message, tracing: boolean): PublishResult {
    const routed = this.route(ex, msg)
    const result = this.result
    result.queues = routed.length
    result.rejected = false
    clearArray(result.tickets)
    clearArray(result.queueNames)
    result.congested = undefined
    if (this.held) for (const t of this.heldTickets) result.tickets.push(t)
    if (tracing) for (const q of routed) result.queueNames.push(q.name)
    if (routed.length === 0) return this.watched ? this.tellWatchers(result) : result
    // Enqueueing can dead-letter (overflow, TTL 0), which routes again: give nested routes another array.
    this.routed = this.spareRouted.pop() ?? []
    const stored = stripBcc(msg)
    for (let i = 0; i < routed.length; i++) {
      const q = routed[i] as Queue
      const enqueued = q.enqueue(stored)
      if (enqueued === false) result.rejected = true
      else if (enqueued !== true) result.tickets.push(enqueued)
      if (q.congested) result.congested = q
    }
    this.spareRouted.push(this.routed)
    this.routed = routed
    return this.watched ? this.tellWatchers(result) : result
  }

  private tellWatchers(result: PublishResult): PublishResult {
    // An enqueue that dead-lettered routed again and cleared the list: a watcher that is not told copes.
    const watchers = this.watchers
    for (let i = 0; i < watchers.length; i++) {
      const t = (watchers[i] as EnqueueWatcher).enqueued(result.tickets)
      if (t && !result.tickets.includes(t)) result.tickets.push(t)
    }
    this.watched = false
    clearArray(watchers)
    return result
  }
  private readonly spareRouted: Queue[][] = []
  private readonly result: PublishResult = {
    queues: 0,
    rejected: false,
    tickets: [],
    queueNames: [],
    congested: undefined,
  }

  route(ex: Exchange, msg: Message): Queue[] {
    clearArray(this.routed)
    if (this.held) {
      this.held = false
      clearArray(this.heldTickets)
    }
    if (this.watched) {
      this.watched = false
      clearArray(this.watchers)
    }
    this.epoch++
    this.routingMessage = msg
    const headers = msg.properties.headers
    const extraKeys =
      (headers && (headers['CC'] !== undefined || headers['BCC'] !== undefined)) || msg.bccKeys
        ? senderKeys(headers, msg.bccKeys)
        : undefined
    this.routingExtraKeys = extraKeys
    let from: Exchange | undefined = ex
    let first = true
    // Alternate exchanges take what their exchange could not route, and may chain.
    while (from && (first || (this.routed.length === 0 && !this.held))) {
      if (!first && from.routeMark === this.epoch) break
      first = false
      from.routeMark = this.epoch
      this.routeKeys(from, msg, extraKeys)
      const aeName: string | undefined = from.alternateExchange
      from = aeName === undefined ? undefined : this.exchanges.get(aeName)
    }
    this.routingMessage = undefined
    return this.routed
  }

  private routeKeys(ex: Exchange, msg: Message, extraKeys: string[] | undefined): void {
    ex.route(msg, msg.routingKey, this.sink)
    if (extraKeys && !ex.routesPerMessage) for (const k of extraKeys) ex.route(msg, k, this.sink)
  }

  private addDestination(d: Destination): void {
    if (d.routeMark === this.epoch) return
    d.routeMark = this.epoch
    if (isQueue(d)) this.routed.push(d)
    else this.routeKeys(d, this.routingMessage as Message, this.routingExtraKeys)
  }
}
