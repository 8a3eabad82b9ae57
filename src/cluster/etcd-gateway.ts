// etcd v3 through its JSON gateway (POST /v3/...), which every etcd 3.4 serves on its client URLs: keys
// and values base64-encoded, 64-bit numbers as strings. Only what cluster coordination needs: leases,
// puts and ranges, compare-and-create and compare-and-put transactions, and watches. Each request goes
// to the first endpoint that answers; a request that no endpoint answers in time is an EtcdUnavailable.
export interface KeyValue {
  key: string
  value: string
  createRevision: number
  modRevision: number
  lease: string
}

export class EtcdUnavailable extends Error {}

interface RawKv {
  key: string
  value?: string
  create_revision?: string
  mod_revision?: string
  lease?: string
}

const enc = (s: string): string => Buffer.from(s, 'utf8').toString('base64')
const dec = (s: string | undefined): string =>
  s === undefined ? '' : Buffer.from(s, 'base64').toString('utf8')

/** The end of the range of every key starting with `prefix` (etcd's "prefix" range_end). */
function prefixEnd(prefix: string): string {
  const b = Buffer.from(prefix, 'utf8')
  let i = b.length - 1
  while (i >= 0 && b[i] === 0xff) i--
  if (i < 0) return Buffer.from([0]).toString('base64')
  const end = b.subarray(0, i + 1)
  end[i] = (end[i] as number) + 1
  return end.toString('base64')
}

function kvOf(raw: RawKv): KeyValue {
  return {
    key: dec(raw.key),
    value: dec(raw.value),
    createRevision: Number(raw.create_revision ?? 0),
    modRevision: Number(raw.mod_revision ?? 0),
    lease: raw.lease ?? '0',
  }
}

export class EtcdGateway {
  constructor(
    private readonly endpoints: readonly string[],
    /** How long one request may take, ms (a leader must notice a lost etcd well within its lease). */
    private readonly timeoutMs = 1000,
  ) {
    if (endpoints.length === 0) throw new Error('no etcd endpoint given')
  }

  async grantLease(ttlSeconds: number): Promise<string> {
    const r = (await this.call('/v3/lease/grant', { TTL: ttlSeconds })) as { ID: string }
    return r.ID
  }

  /** Renews the lease; returns its TTL in seconds, 0 when it has expired or was revoked. */
  async keepAlive(lease: string): Promise<number> {
    const r = (await this.call('/v3/lease/keepalive', { ID: lease })) as { result?: { TTL?: string } }
    return Number(r.result?.TTL ?? 0)
  }

  async revoke(lease: string): Promise<void> {
    await this.call('/v3/lease/revoke', { ID: lease })
  }

  async put(key: string, value: string, lease?: string): Promise<void> {
    await this.call('/v3/kv/put', { key: enc(key), value: enc(value), ...(lease ? { lease } : {}) })
  }

  async delete(key: string): Promise<void> {
    await this.call('/v3/kv/deleterange', { key: enc(key) })
  }

  async get(key: string): Promise<KeyValue | undefined> {
    const r = (await this.call('/v3/kv/range', { key: enc(key) })) as { kvs?: RawKv[] }
    return r.kvs?.[0] ? kvOf(r.kvs[0]) : undefined
  }

  async getPrefix(prefix: string): Promise<KeyValue[]> {
    const r = (await this.call('/v3/kv/range', { key: enc(prefix), range_end: prefixEnd(prefix) })) as {
      kvs?: RawKv[]
    }
    return (r.kvs ?? []).map(kvOf)
  }

  /** Creates `key` unless it exists; returns whether it did, and the key as it is now. */
  async createIfAbsent(
    key: string,
    value: string,
    lease: string,
  ): Promise<{ created: boolean; kv: KeyValue }> {
    const r = (await this.call('/v3/kv/txn', {
      compare: [{ target: 'CREATE', key: enc(key), createRevision: '0' }],
      success: [{ requestPut: { key: enc(key), value: enc(value), lease } }],
      failure: [],
    })) as { succeeded?: boolean }
    const kv = await this.get(key)
    if (!kv) return this.createIfAbsent(key, value, lease) // it was deleted in between: try again
    return { created: r.succeeded === true, kv }
  }

  /** Puts `key` only while `guard` still has the create revision `revision` (a fencing token). */
  async putIfCreated(guard: string, revision: number, key: string, value: string): Promise<boolean> {
    const r = (await this.call('/v3/kv/txn', {
      compare: [{ target: 'CREATE', key: enc(guard), createRevision: String(revision) }],
      success: [{ requestPut: { key: enc(key), value: enc(value) } }],
      failure: [],
    })) as { succeeded?: boolean }
    return r.succeeded === true
  }

  /**
   * Calls `onChange` after every change of `key` (an undefined value for a deletion) until the signal
   * aborts; resolves when the watch ends (abort, or the connection lost: the caller decides what then).
   */
  async watch(
    key: string,
    onChange: (value: string | undefined) => void,
    signal: AbortSignal,
  ): Promise<void> {
    const body = JSON.stringify({ create_request: { key: enc(key) } })
    for (const base of this.endpoints) {
      let res: Response
      try {
        res = await fetch(new URL('/v3/watch', base), { method: 'POST', body, signal })
      } catch {
        if (signal.aborted) return
        continue
      }
      if (!res.body) continue
      try {
        await readEvents(res.body, onChange)
      } catch {
        // Aborted or cut: either way the watch is over.
      }
      return
    }
  }

  /** The endpoint that answered last is tried first: a dead member costs one timeout, not one per call. */
  private preferred = 0

  private async call(path: string, body: unknown): Promise<unknown> {
    let last: unknown
    for (let k = 0; k < this.endpoints.length; k++) {
      const at = (this.preferred + k) % this.endpoints.length
      const base = this.endpoints[at] as string
      try {
        const res = await fetch(new URL(path, base), {
          method: 'POST',
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(this.timeoutMs),
        })
        const json = (await res.json()) as { error?: string; message?: string }
        if (!res.ok) throw new Error(`etcd ${path}: ${json.message ?? json.error ?? res.status}`)
        this.preferred = at
        return json
      } catch (err) {
        last = err
      }
    }
    throw new EtcdUnavailable(
      `etcd did not answer (${this.endpoints.join(', ')}): ${(last as Error).message}`,
    )
  }
}

/** The gateway streams one JSON object per line; each carries the events of one revision. */
async function readEvents(
  body: ReadableStream<Uint8Array>,
  onChange: (value: string | undefined) => void,
): Promise<void> {
  const decoder = new TextDecoder()
  let buffered = ''
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffered += decoder.decode(chunk, { stream: true })
    let nl: number
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl).trim()
      buffered = buffered.slice(nl + 1)
      if (line === '') continue
      const msg = JSON.parse(line) as { result?: { events?: Array<{ type?: string; kv: RawKv }> } }
      for (const e of msg.result?.events ?? []) onChange(e.type === 'DELETE' ? undefined : dec(e.kv.value))
    }
  }
}
