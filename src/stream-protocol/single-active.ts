// Single active consumer: subscriptions of one stream that share a name (the `name` subscription
// property with `single-active-consumer=true`) form a group in which one at a time gets messages. On a
// plain stream the oldest member is active, until it goes. On a partition of a super stream (the
// `super-stream` property) the active one is the member at (partition index mod group size), as in
// RabbitMQ, so that a group's consumers share the partitions; when that changes, the active one is told
// to step down (consumer update, active false) and the next one is told to start once it answered.

export interface GroupMember {
  readonly groupKey: string | undefined
  /** The partition's place in its super stream; -1 on a plain stream. */
  readonly partitionIndex: number
  active: boolean
  /** Starts delivering (after asking the client where from). */
  activate(): void
  /** Stops delivering and tells the client; `done` once it answered (or is gone). */
  deactivate(done: () => void): void
}

export class SacGroups {
  private readonly groups = new Map<string, GroupMember[]>()
  /** Groups waiting for a member to step down: no one is activated meanwhile. */
  private readonly steppingDown = new Set<string>()

  static key(vhost: string, stream: string, name: string): string {
    return `${vhost}\u0000${stream}\u0000${name}`
  }

  join(m: GroupMember): void {
    if (m.groupKey === undefined) return
    let g = this.groups.get(m.groupKey)
    if (!g) this.groups.set(m.groupKey, (g = []))
    g.push(m)
    this.rebalance(m.groupKey)
  }

  leave(m: GroupMember): void {
    const key = m.groupKey
    if (key === undefined) return
    const g = this.groups.get(key)
    const i = g ? g.indexOf(m) : -1
    if (!g || i < 0) return
    g.splice(i, 1)
    m.active = false
    if (g.length === 0) this.groups.delete(key)
    else this.rebalance(key)
  }

  private rebalance(key: string): void {
    const g = this.groups.get(key)
    if (!g || g.length === 0 || this.steppingDown.has(key)) return
    const first = g[0] as GroupMember
    const wanted = first.partitionIndex < 0 ? first : (g[first.partitionIndex % g.length] as GroupMember)
    const current = g.find((m) => m.active)
    if (current === wanted) return
    if (!current) {
      wanted.active = true
      return wanted.activate()
    }
    current.active = false
    this.steppingDown.add(key)
    current.deactivate(() => {
      this.steppingDown.delete(key)
      this.rebalance(key)
    })
  }
}
