// The effective settings of a queue, read once from its arguments (and, later, policies) into plain
// fields so that the hot path never looks into a field table.
import { type FieldTable, fieldNumber } from '../../shared/index.js'

export type Overflow = 'drop-head' | 'reject-publish' | 'reject-publish-dlx'

export interface QueueSettings {
  messageTtl: number | undefined
  expires: number | undefined
  maxLength: number | undefined
  maxLengthBytes: number | undefined
  overflow: Overflow
  deadLetterExchange: string | undefined
  deadLetterRoutingKey: string | undefined
  maxPriority: number | undefined
  singleActiveConsumer: boolean
}

export function settingsFromArgs(args: FieldTable): QueueSettings {
  const num = (k: string): number | undefined => fieldNumber(args[k])
  const str = (k: string): string | undefined =>
    typeof args[k] === 'string' ? (args[k] as string) : undefined
  return {
    messageTtl: num('x-message-ttl'),
    expires: num('x-expires'),
    maxLength: num('x-max-length'),
    maxLengthBytes: num('x-max-length-bytes'),
    overflow: (str('x-overflow') as Overflow | undefined) ?? 'drop-head',
    deadLetterExchange: str('x-dead-letter-exchange'),
    deadLetterRoutingKey: str('x-dead-letter-routing-key'),
    maxPriority: num('x-max-priority'),
    singleActiveConsumer: args['x-single-active-consumer'] === true,
  }
}
