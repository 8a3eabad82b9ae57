// A quorum queue's settings from its arguments and policies, where RabbitMQ 3.10 resolves them unlike a
// classic queue's (rabbit_quorum_queue:ra_machine_config): a policy's overflow and expires win over the
// queue's arguments (for a classic queue the argument wins, or the smaller value); reject-publish-dlx is
// not a quorum overflow and counts as the default, drop-head; priorities do not exist.
import type { FieldTable } from '../../../shared/index.js'
import type { Policy } from '../../policy.js'
import { type Overflow, type QueueSettings, resolveSettings } from '../queue-settings.js'

export function quorumSettings(args: FieldTable, policy?: Policy, operatorPolicy?: Policy): QueueSettings {
  const user = policy?.definition
  const operator = operatorPolicy?.definition
  const base = resolveSettings(args, user, operator)
  const overflow = (user?.['overflow'] ?? args['x-overflow']) as Overflow | undefined
  const expires = user?.['expires']
  return {
    ...base,
    overflow: overflow === 'reject-publish' ? 'reject-publish' : 'drop-head',
    expires: typeof expires === 'number' && expires > 0 ? expires : base.expires,
    maxPriority: undefined,
  }
}

export type DeadLetterStrategy = 'at-most-once' | 'at-least-once'

/**
 * The dead-letter strategy in effect: at-least-once needs a dead-letter exchange and reject-publish
 * overflow; otherwise RabbitMQ logs a warning and falls back to at-most-once. The argument wins over a
 * policy.
 */
export function deadLetterStrategy(
  args: FieldTable,
  settings: QueueSettings,
  policy?: Policy,
): DeadLetterStrategy {
  const asked = args['x-dead-letter-strategy'] ?? policy?.definition['dead-letter-strategy']
  return asked === 'at-least-once' &&
    settings.deadLetterExchange !== undefined &&
    settings.overflow === 'reject-publish'
    ? 'at-least-once'
    : 'at-most-once'
}
