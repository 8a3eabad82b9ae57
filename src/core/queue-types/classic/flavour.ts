// What a queue type built on the classic queue changes in it: the classic queue itself is CLASSIC; the
// quorum queue (../quorum/) is another flavour of the same machinery.
import type { FieldTable } from '../../../shared/index.js'
import type { Policy } from '../../policy.js'
import { type QueueSettings, resolveSettings } from '../queue-settings.js'

/**
 * What a queue type built on the classic queue changes in it (the quorum queue, quorum/): its name, how
 * its arguments and policies resolve, and how it counts and places returned messages.
 */
export interface QueueFlavour {
  readonly type: string
  settings(args: FieldTable, policy?: Policy, operatorPolicy?: Policy): QueueSettings
  /** Every return is counted in x-delivery-count, with a delivery limit or without one. */
  readonly countsEveryReturn: boolean
  /** A returned message goes to the back of the queue rather than back to its original place. */
  readonly requeueAtBack: boolean
  /** A durable queue stores transient messages too (they survive a restart). */
  readonly storesEveryMessage: boolean
  /** See Queue.supportsGlobalQos. */
  readonly supportsGlobalQos: boolean
}

export const CLASSIC: QueueFlavour = {
  type: 'classic',
  settings: (args, policy, operatorPolicy) =>
    resolveSettings(args, policy?.definition, operatorPolicy?.definition),
  countsEveryReturn: false,
  requeueAtBack: false,
  storesEveryMessage: false,
  supportsGlobalQos: true,
}
