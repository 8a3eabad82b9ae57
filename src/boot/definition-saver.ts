// Saves durable definitions as they change. Saves are coalesced: changes made while one runs go into the
// next, which snapshots everything at its start. settled() tells a caller whether everything changed
// until its call is on disk, and fails when the save that covered it failed (a full disk): the caller
// then undoes what it created, and answers with the error. A failed save is retried, a second apart,
// until one succeeds, so that what stays changed in memory (a deletion, say) reaches the disk once space
// is back.
import { type Logger, isNoSpace, NoSpaceError } from '../shared/index.js'

const RETRY_MS = 1000

export class DefinitionSaver {
  /** Changes notified so far, and how many of them the last successful save covered. */
  private changes = 0
  private saved = 0
  /** The last save failed; it covered changes up to `upTo`. */
  private failure: { upTo: number; err: unknown } | undefined
  private saving: Promise<void> | undefined
  private retryTimer: NodeJS.Timeout | undefined

  constructor(
    private readonly save: () => Promise<void>,
    private readonly logger: Logger,
  ) {}

  changed(): void {
    this.changes++
    this.start()
  }

  /** Whether settled() would have to wait. */
  get busy(): boolean {
    return this.saved < this.changes
  }

  /** Resolves once every change notified so far is on disk; rejects when the save of one failed. */
  async settled(): Promise<void> {
    const want = this.changes
    while (this.saved < want) {
      const f = this.failure
      if (f && f.upTo >= want && !this.saving) {
        throw isNoSpace(f.err) ? new NoSpaceError('the durable definitions', f.err) : f.err
      }
      this.start()
      await this.saving
    }
  }

  stop(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer)
    this.retryTimer = undefined
  }

  private start(): void {
    this.saving ??= this.run().finally(() => (this.saving = undefined))
  }

  private async run(): Promise<void> {
    while (this.saved < this.changes) {
      const upTo = this.changes
      try {
        await this.save()
      } catch (err) {
        this.failure = { upTo, err }
        this.logger.error({ err }, 'failed to save definitions; retrying every second')
        this.retryLater()
        return
      }
      this.saved = upTo
      if (this.failure) this.logger.info('definitions saved again')
      this.failure = undefined
    }
  }

  private retryLater(): void {
    if (this.retryTimer) return
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined
      if (this.saved < this.changes) this.start()
    }, RETRY_MS)
    this.retryTimer.unref()
  }
}
