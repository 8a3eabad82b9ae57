// Raw-frame clients against the test target (an in-process Warren, or WARREN_TEST_URL), with the close
// expectations the error tests compare against. Every client is destroyed when the file's tests end.
import assert from 'node:assert/strict'
import { after } from 'node:test'
import { type CloseInfo, type HandshakeOptions, RawClient } from './raw-client.js'
import { type Target, useTarget } from './target.js'

export interface RawTarget {
  readonly url: string
  /** A connection past the handshake with `channels` open. */
  open(channels?: readonly number[], opts?: HandshakeOptions): Promise<RawClient>
  /** A bare TCP connection (nothing sent yet). */
  connect(): Promise<RawClient>
}

/** Raw clients against `t` (by default a target of their own). */
export function useRawTarget(t: Target = useTarget()): RawTarget {
  const clients = new Set<RawClient>()
  after(() => {
    for (const c of clients) c.destroy()
  })
  const track = (c: RawClient): RawClient => {
    clients.add(c)
    void c.ended.then(() => clients.delete(c))
    return c
  }
  return {
    get url() {
      return t.url
    },
    open: async (channels = [1], opts = {}) => track(await RawClient.openUrl(t.url, opts, channels)),
    connect: async () => track(await RawClient.connectUrl(t.url)),
  }
}

export function channelClose(
  replyCode: number,
  replyText: string,
  classId: number,
  methodId: number,
  channel = 1,
): CloseInfo {
  return { kind: 'channel', channel, replyCode, replyText, classId, methodId }
}

export function connectionClose(replyCode: number, replyText: string, classId = 0, methodId = 0): CloseInfo {
  return { kind: 'connection', channel: 0, replyCode, replyText, classId, methodId }
}

/** The close frame the broker sends next (answered with close-ok); fails when none arrives. */
export async function closeOf(c: RawClient, ms = 3000): Promise<CloseInfo> {
  const info = await c.waitClose(ms)
  assert.ok(info, `no channel.close/connection.close arrived; unread frames: ${c.describePending()}`)
  return info
}
