// Single active consumer: subscriptions of one stream that share a name (the `name` subscription
// property with `single-active-consumer=true`) form a group in which one at a time gets messages. The
// first to subscribe is active; when it goes, the longest-waiting one takes over.

export interface GroupMember {
  readonly groupKey: string | undefined
}

export class SacGroups {
  private readonly groups = new Map<string, GroupMember[]>()

  static key(vhost: string, stream: string, name: string): string {
    return `${vhost}\u0000${stream}\u0000${name}`
  }

  /** Adds a member; true when it is the active one (the group was empty). */
  join(m: GroupMember): boolean {
    if (m.groupKey === undefined) return true
    let g = this.groups.get(m.groupKey)
    if (!g) this.groups.set(m.groupKey, (g = []))
    g.push(m)
    return g.length === 1
  }

  /** Removes a member; returns the member that becomes active, if the active one left. */
  leave(m: GroupMember): GroupMember | undefined {
    if (m.groupKey === undefined) return undefined
    const g = this.groups.get(m.groupKey)
    if (!g) return undefined
    const i = g.indexOf(m)
    if (i < 0) return undefined
    g.splice(i, 1)
    if (g.length === 0) this.groups.delete(m.groupKey)
    return i === 0 ? g[0] : undefined
  }
}
