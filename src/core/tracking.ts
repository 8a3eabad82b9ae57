// Who is connected: open connections per vhost and per user, open channels per user, as RabbitMQ's
// connection and channel tracking counts them for the limits (limits.ts). Every protocol front end checks
// and counts its connections and channels here, so that a limit counts every client whatever it speaks.
// Counts are kept by name: a connection counts from connection.open-ok until it is gone.
import { NotAllowedError } from '../shared/index.js'
import { type Limits, limitOf } from './limits.js'
import { ChurnCounters } from './stats.js'
import type { VHost } from './vhost.js'

export class Tracking {
  /** Connections and channels opened and closed since start. */
  readonly churn: ChurnCounters
  private readonly vhostConnections = new Map<string, number>()
  private readonly userConnections = new Map<string, number>()
  private readonly userChannels = new Map<string, number>()

  constructor(churn: ChurnCounters = new ChurnCounters()) {
    this.churn = churn
  }

  /**
   * RabbitMQ's checks before a connection opens, in its order: the vhost's max-connections, then the
   * user's (530 NOT_ALLOWED; both come before the check of the user's access to the vhost).
   */
  checkConnection(vhost: VHost, user: string, userLimits: Limits | undefined): void {
    const vhostMax = limitOf(vhost.limits, 'max-connections')
    if (vhostMax !== undefined && count(this.vhostConnections, vhost.name) >= vhostMax) {
      throw new NotAllowedError(
        `access to vhost '${vhost.name}' refused for user '${user}': connection limit (${vhostMax}) is reached`,
      )
    }
    const userMax = limitOf(userLimits, 'max-connections')
    if (userMax !== undefined && count(this.userConnections, user) >= userMax) {
      throw new NotAllowedError(
        `connection refused for user '${user}': user connection limit (${userMax}) is reached`,
      )
    }
  }

  /** Counts an open connection; the returned function uncounts it (once). */
  connectionOpened(vhost: string, user: string): () => void {
    add(this.vhostConnections, vhost, 1)
    add(this.userConnections, user, 1)
    this.churn.connectionsOpened++
    return once(() => {
      add(this.vhostConnections, vhost, -1)
      add(this.userConnections, user, -1)
      this.churn.connectionsClosed++
    })
  }

  /** The user's max-channels (530 NOT_ALLOWED, reported against no method, as RabbitMQ does). */
  checkChannel(user: string, userLimits: Limits | undefined): void {
    const max = limitOf(userLimits, 'max-channels')
    if (max !== undefined && count(this.userChannels, user) >= max) {
      const err = new NotAllowedError(
        `number of channels opened for user '${user}' has reached the maximum allowed user limit of (${max})`,
      )
      err.method = [0, 0]
      throw err
    }
  }

  /** checkChannel, then counts the channel; the returned function uncounts it (once). */
  channelOpened(user: string, userLimits: Limits | undefined): () => void {
    this.checkChannel(user, userLimits)
    add(this.userChannels, user, 1)
    this.churn.channelsOpened++
    return once(() => {
      add(this.userChannels, user, -1)
      this.churn.channelsClosed++
    })
  }

  connectionsIn(vhost: string): number {
    return count(this.vhostConnections, vhost)
  }

  connectionsOf(user: string): number {
    return count(this.userConnections, user)
  }

  channelsOf(user: string): number {
    return count(this.userChannels, user)
  }
}

const count = (m: Map<string, number>, key: string): number => m.get(key) ?? 0

function add(m: Map<string, number>, key: string, n: number): void {
  const v = count(m, key) + n
  if (v > 0) m.set(key, v)
  else m.delete(key)
}

function once(fn: () => void): () => void {
  let done = false
  return () => {
    if (done) return
    done = true
    fn()
  }
}
