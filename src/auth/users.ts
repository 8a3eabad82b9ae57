// Users, their tags and limits, per-vhost permissions and topic permissions. Permissions are RabbitMQ's
// configure/write/read regular expressions; topic permissions are write/read expressions on the routing
// keys of one topic exchange (both enforced by ./authorize.ts).
import type { Limits } from '../core/index.js'
import { checkPassword, hashPassword } from './password.js'

export interface User {
  readonly name: string
  passwordHash: string
  tags: string[]
  /** max-connections, max-channels (core/limits.ts); absent or empty when none is set. */
  limits?: Limits
}

export interface Permission {
  configure: string
  write: string
  read: string
}

export interface TopicPermission {
  readonly exchange: string
  readonly write: string
  readonly read: string
}

/** One user's topic permissions in one vhost, by exchange. Replaced on every change, never changed. */
export type TopicGrant = ReadonlyMap<string, TopicPermission>

export class UserRegistry {
  readonly users = new Map<string, User>()
  /** vhost → user → permission */
  readonly permissions = new Map<string, Map<string, Permission>>()
  /** vhost → user → topic permissions (a new map on every change: sessions cache by its identity) */
  readonly topicPermissions = new Map<string, Map<string, TopicGrant>>()

  addUser(name: string, password: string, tags: string[] = []): User {
    const user: User = { name, passwordHash: hashPassword(password), tags }
    this.users.set(name, user)
    return user
  }

  /** Adds a user with an already hashed password (from stored or imported definitions). */
  restoreUser(name: string, passwordHash: string, tags: string[], limits?: Limits): User {
    const user: User = { name, passwordHash, tags }
    if (limits !== undefined && Object.keys(limits).length > 0) user.limits = limits
    this.users.set(name, user)
    return user
  }

  /** The user when the password is right, else undefined. */
  authenticate(name: string, password: string): User | undefined {
    const user = this.users.get(name)
    return user && checkPassword(password, user.passwordHash) ? user : undefined
  }

  /** Removes a user with its permissions and topic permissions. */
  deleteUser(name: string): void {
    this.users.delete(name)
    for (const byUser of this.permissions.values()) byUser.delete(name)
    for (const byUser of this.topicPermissions.values()) byUser.delete(name)
  }

  /** Forgets every permission and topic permission in a vhost that is deleted. */
  deleteVhost(vhost: string): void {
    this.permissions.delete(vhost)
    this.topicPermissions.delete(vhost)
  }

  setPermission(user: string, vhost: string, p: Permission): void {
    let byUser = this.permissions.get(vhost)
    if (!byUser) this.permissions.set(vhost, (byUser = new Map()))
    byUser.set(user, p)
  }

  permission(user: string, vhost: string): Permission | undefined {
    return this.permissions.get(vhost)?.get(user)
  }

  /** Sets the user's topic permission for `p.exchange` in the vhost (replacing one for that exchange). */
  setTopicPermission(user: string, vhost: string, p: TopicPermission): void {
    const next = new Map(this.topicGrant(user, vhost))
    next.set(p.exchange, { exchange: p.exchange, write: p.write, read: p.read })
    this.setTopicGrant(user, vhost, next)
  }

  /** Removes the user's topic permissions in the vhost (only `exchange`'s when given). */
  clearTopicPermissions(user: string, vhost: string, exchange?: string): void {
    if (exchange === undefined) return this.setTopicGrant(user, vhost, undefined)
    const next = new Map(this.topicGrant(user, vhost))
    next.delete(exchange)
    this.setTopicGrant(user, vhost, next)
  }

  /** The user's topic permissions in the vhost, by exchange; undefined when it has none. */
  topicGrant(user: string, vhost: string): TopicGrant | undefined {
    return this.topicPermissions.get(vhost)?.get(user)
  }

  /** Replaces the user's topic permissions in the vhost (an empty or undefined grant removes them). */
  setTopicGrant(user: string, vhost: string, grant: TopicGrant | undefined): void {
    let byUser = this.topicPermissions.get(vhost)
    if (grant === undefined || grant.size === 0) {
      byUser?.delete(user)
      if (byUser?.size === 0) this.topicPermissions.delete(vhost)
      return
    }
    if (!byUser) this.topicPermissions.set(vhost, (byUser = new Map()))
    byUser.set(user, grant)
  }
}
