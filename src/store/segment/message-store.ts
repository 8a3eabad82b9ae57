// The on-disk message store: one directory per queue under the data directory. Directory names are a hash
// of vhost and queue name because the names themselves may not fit in a file name (each may be 255 bytes
// of any UTF-8, while a file name is at most 255 bytes); queue.json inside keeps the real names.
import { createHash } from 'node:crypto'
import { mkdir, readdir, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { MessageStore } from '../../core/ports.js'
import { ShortStringCache } from '../../protocol/index.js'
import { type Logger, silentLogger } from '../../shared/index.js'
import { isNotFound, mkdirDurable, syncDir, writeFileAtomic } from '../fs-util.js'
import { type SegmentQueueOptions, SegmentQueueStore } from './queue-store.js'

export interface SegmentStoreOptions {
  /** Segment file size; a message larger than this gets a segment of its own. Default 8 MiB. */
  segmentSize?: number
  /** Where recovery reports what it dropped. Default: silent. */
  logger?: Logger
  /** Buffered bytes per queue that start a write before anyone calls flush(). Default 1 MiB. */
  writeBehindBytes?: number
  /** Longest a change waits for an fsync when nobody calls flush(); 0 disables. Default 200 ms. */
  autoFlushMs?: number
  /**
   * false: flush() hands everything to the OS but never fsyncs, for a store that only moves messages
   * out of memory and is wiped at every start (paging). Default true.
   */
  fsync?: boolean
  /** Told of the bytes each record appended will take, and of those the OS took (the disk monitor). */
  onAppend?: (bytes: number) => void
  onWritten?: (bytes: number) => void
  /** Told when the file system refused a write for lack of space (the store retries until it has room). */
  onNoSpace?: () => void
}

const noWrite = (): void => undefined
const META_FILE = 'queue.json'
const FORMAT = 1
const QUEUE_DIR = /^[0-9a-f]{32}$/
/** Offsets in the index are 32-bit. */
const MAX_SEGMENT_SIZE = 2 ** 32 - 1

interface OpenEntry {
  promise: Promise<SegmentQueueStore>
}

interface QueueMeta {
  format: number
  vhost: string
  queue: string
}

export function queueDirName(vhost: string, queue: string): string {
  return createHash('sha256')
    .update(JSON.stringify([vhost, queue]))
    .digest('hex')
    .slice(0, 32)
}

export class SegmentMessageStore implements MessageStore {
  private readonly queues = new Map<string, OpenEntry>()
  /** Queues whose close or destroy is under way, by directory name. */
  private readonly closing = new Map<string, Promise<void>>()
  private closed = false

  private constructor(
    readonly dir: string,
    private readonly opts: SegmentQueueOptions,
  ) {}

  static async open(dir: string, opts: SegmentStoreOptions = {}): Promise<SegmentMessageStore> {
    const segmentSize = opts.segmentSize ?? 8 * 1024 * 1024
    if (!(segmentSize > 0 && segmentSize <= MAX_SEGMENT_SIZE))
      throw new RangeError(`bad segmentSize ${segmentSize}`)
    await mkdirDurable(dir)
    // Queue directories whose deletion a crash interrupted.
    for (const name of await readdir(dir)) {
      if (name.includes('.deleting-')) await rm(join(dir, name), { recursive: true, force: true })
    }
    return new SegmentMessageStore(dir, {
      segmentSize,
      logger: opts.logger ?? silentLogger,
      writeBehindBytes: opts.writeBehindBytes ?? 1024 * 1024,
      autoFlushMs: opts.autoFlushMs ?? 200,
      fsync: opts.fsync ?? true,
      onAppend: opts.onAppend ?? noWrite,
      onWritten: opts.onWritten ?? noWrite,
      shortStrings: new ShortStringCache(),
      onNoSpace: opts.onNoSpace ?? noWrite,
    })
  }

  /**
   * The same instance for as long as it is open. A queue being closed or destroyed is opened afresh once
   * that has finished, so two instances never write the same files.
   */
  openQueue(vhost: string, queue: string): Promise<SegmentQueueStore> {
    if (this.closed) return Promise.reject(new Error('message store is closed'))
    const name = queueDirName(vhost, queue)
    const open = this.queues.get(name)
    if (open) return open.promise
    const pending = this.closing.get(name)
    const load = (): Promise<SegmentQueueStore> => this.load(name, vhost, queue, entry)
    const entry: OpenEntry = {
      promise: (pending ?? Promise.resolve()).then(load, load),
    }
    this.queues.set(name, entry)
    entry.promise.catch(() => this.queues.get(name) === entry && this.queues.delete(name))
    return entry.promise
  }

  async listQueues(): Promise<Array<{ vhost: string; queue: string }>> {
    const out: Array<{ vhost: string; queue: string }> = []
    for (const name of await readdir(this.dir)) {
      if (!QUEUE_DIR.test(name)) continue
      const meta = await readMeta(join(this.dir, name))
      if (meta) out.push({ vhost: meta.vhost, queue: meta.queue })
    }
    return out
  }

  async close(): Promise<void> {
    this.closed = true
    const open = [...this.queues.values()]
    // A queue that failed to open has nothing to close.
    const results = await Promise.allSettled(
      open.map(async (q) => (await q.promise.catch(() => null))?.close()),
    )
    await Promise.allSettled([...this.closing.values()])
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
    if (failed) throw failed.reason
  }

  private async load(
    name: string,
    vhost: string,
    queue: string,
    entry: OpenEntry,
  ): Promise<SegmentQueueStore> {
    const dir = join(this.dir, name)
    const meta = await readMeta(dir)
    if (meta && (meta.vhost !== vhost || meta.queue !== queue)) {
      throw new Error(`queue directory ${dir} belongs to queue '${meta.queue}' in vhost '${meta.vhost}'`)
    }
    if (!meta) await this.create(dir, { format: FORMAT, vhost, queue })
    return SegmentQueueStore.open(dir, vhost, queue, this.opts, (finished) => {
      if (this.queues.get(name) === entry) this.queues.delete(name)
      this.closing.set(name, finished)
      const forget = (): void => void (this.closing.get(name) === finished && this.closing.delete(name))
      finished.then(forget, forget)
    })
  }

  /** The meta file is durable before the queue's first segment exists, so listQueues never misses one. */
  private async create(dir: string, meta: QueueMeta): Promise<void> {
    await mkdir(dir, { recursive: true })
    await writeFileAtomic(join(dir, META_FILE), JSON.stringify(meta))
    await syncDir(this.dir)
  }
}

async function readMeta(dir: string): Promise<QueueMeta | undefined> {
  let text: string
  try {
    text = await readFile(join(dir, META_FILE), 'utf8')
  } catch (err) {
    if (isNotFound(err)) return undefined
    throw err
  }
  const meta = JSON.parse(text) as QueueMeta
  if (meta.format !== FORMAT) throw new Error(`${join(dir, META_FILE)}: unsupported format ${meta.format}`)
  return meta
}

export function openSegmentStore(dir: string, opts: SegmentStoreOptions = {}): Promise<SegmentMessageStore> {
  return SegmentMessageStore.open(dir, opts)
}
