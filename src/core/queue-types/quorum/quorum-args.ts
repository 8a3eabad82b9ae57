// A quorum queue's declare checks and redeclare equivalence, as RabbitMQ 3.10 makes them (checked against
// 3.10.8): a server-named queue is refused first; then every known argument's value, the classic
// queue's checks and the quorum-only arguments' (x-delivery-limit is not checked: RabbitMQ takes any
// value); then the arguments quorum queues do not support, in the order given; then the properties:
// auto-delete, exclusive, non-durable.
import {
  describeType,
  type FieldTable,
  type FieldValue,
  fieldEquals,
  PreconditionFailedError,
} from '../../../shared/index.js'
import { inequivalence } from '../../equivalence.js'
import type { DeclaredProperties } from '../queue-type.js'
import { type Check, nonNegInt, oneOf, positiveInt, QUEUE_ARGS } from '../classic/index.js'

export const QUORUM = 'rabbit_quorum_queue'

/** The quorum-only arguments and their checks (RabbitMQ refuses them on a classic queue). */
const QUORUM_ARGS: Readonly<Record<string, Check>> = {
  'x-dead-letter-strategy': oneOf(() => 'invalid_dlx_strategy', 'at-most-once', 'at-least-once'),
  'x-max-in-memory-length': nonNegInt,
  'x-max-in-memory-bytes': nonNegInt,
  'x-quorum-initial-group-size': positiveInt,
  'x-queue-leader-locator': oneOf(
    () => 'invalid_queue_locator_arg',
    'client-local',
    'balanced',
    'random',
    'least-leaders',
  ),
}

/** Checked by value like any argument, then refused: quorum queues do not support them. */
const UNSUPPORTED = new Set([
  'x-max-priority',
  'x-queue-mode',
  'x-queue-master-locator',
  'x-max-age',
  'x-stream-max-segment-size-bytes',
  'x-initial-cluster-size',
])

/** What RabbitMQ compares on a redeclare, in its order (rabbit_quorum_queue's queue_arguments). */
const COMPARED = [
  'x-dead-letter-exchange',
  'x-dead-letter-routing-key',
  'x-dead-letter-strategy',
  'x-expires',
  'x-max-length',
  'x-max-length-bytes',
  'x-max-in-memory-length',
  'x-max-in-memory-bytes',
  'x-overflow',
  'x-single-active-consumer',
  'x-queue-type',
  'x-quorum-initial-group-size',
  'x-delivery-limit',
  'x-message-ttl',
  'x-queue-leader-locator',
  // Warren's (LavinMQ's) delayed retry, which quorum queues have as classic ones do.
  'x-delayed-retry-min',
  'x-delayed-retry-multiplier',
  'x-delayed-retry-max',
]

const NOT_CHECKED_BY_VALUE = new Set(['x-queue-type', 'x-delivery-limit'])

export function validateQuorumArgs(
  queue: string,
  vhost: string,
  args: FieldTable,
  props?: DeclaredProperties,
): void {
  const where = `queue '${queue}' in vhost '${vhost}'`
  if (props?.serverNamed) {
    throw new PreconditionFailedError(`Cannot declare a server-named queue for type ${QUORUM}`)
  }
  checkValues(where, args)
  for (const key of Object.keys(args)) {
    if (UNSUPPORTED.has(key)) {
      throw new PreconditionFailedError(`invalid arg '${key}' for ${where} of queue type ${QUORUM}`)
    }
  }
  const refused = !props
    ? undefined
    : props.autoDelete
      ? 'auto-delete'
      : props.exclusive
        ? 'exclusive-owner'
        : !props.durable
          ? 'non-durable'
          : undefined
  if (refused) throw new PreconditionFailedError(`invalid property '${refused}' for ${where}`)
}

function checkValues(where: string, args: FieldTable): void {
  const dlx = args['x-dead-letter-exchange']
  if (dlx !== undefined && typeof dlx !== 'string') {
    throw new PreconditionFailedError(
      `invalid type '${describeType(dlx)}' for arg 'x-dead-letter-exchange' in ${where}`,
    )
  }
  if (args['x-dead-letter-routing-key'] !== undefined && dlx === undefined) {
    throw new PreconditionFailedError(
      `invalid arg 'x-dead-letter-routing-key' for ${where}: routing_key_but_no_dlx_defined`,
    )
  }
  for (const [key, check] of [...Object.entries(QUEUE_ARGS), ...Object.entries(QUORUM_ARGS)]) {
    if (NOT_CHECKED_BY_VALUE.has(key) || !Object.hasOwn(args, key)) continue
    const problem = check(args[key] as FieldValue)
    if (problem) throw new PreconditionFailedError(`invalid arg '${key}' for ${where}: ${problem}`)
  }
}

/** A redeclare whose compared arguments differ is a 406 naming the first that differs. */
export function checkQuorumEquivalence(
  queue: string,
  vhost: string,
  have: FieldTable,
  got: FieldTable,
): void {
  for (const key of COMPARED) {
    const a = have[key]
    const b = got[key]
    if (a === undefined && b === undefined) continue
    if (a !== undefined && b !== undefined && fieldEquals(a, b)) continue
    throw new PreconditionFailedError(
      `inequivalent arg '${key}' for queue '${queue}' in vhost '${vhost}': ${inequivalence(a, b)}`,
    )
  }
}
