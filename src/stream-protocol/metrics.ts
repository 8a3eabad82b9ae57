// The Stream protocol's Prometheus counters, as RabbitMQ's stream plugin reports them: messages received,
// confirmed and delivered (rabbitmq_global_*{protocol="stream"}), publishers and consumers open, and every
// command answered with an error by the error's name (rabbitmq_global_stream_error_<name>_total). A
// missing stored offset is not an error there, so it is not counted.
import { ProtocolCounters } from '../core/index.js'
import { CODE } from './constants.js'

const ERROR_NAMES: Readonly<Record<number, string>> = {
  [CODE.streamDoesNotExist]: 'stream_does_not_exist',
  [CODE.subscriptionIdAlreadyExists]: 'subscription_id_already_exists',
  [CODE.subscriptionIdDoesNotExist]: 'subscription_id_does_not_exist',
  [CODE.streamAlreadyExists]: 'stream_already_exists',
  [CODE.streamNotAvailable]: 'stream_not_available',
  [CODE.saslMechanismNotSupported]: 'sasl_mechanism_not_supported',
  [CODE.authenticationFailure]: 'authentication_failure',
  [CODE.saslError]: 'sasl_error',
  [CODE.saslChallenge]: 'sasl_challenge',
  [CODE.authenticationFailureLoopback]: 'sasl_authentication_failure_loopback',
  [CODE.virtualHostAccessFailure]: 'vhost_access_failure',
  [CODE.unknownFrame]: 'unknown_frame',
  [CODE.frameTooLarge]: 'frame_too_large',
  [CODE.internalError]: 'internal_error',
  [CODE.accessRefused]: 'access_refused',
  [CODE.preconditionFailed]: 'precondition_failed',
  [CODE.publisherDoesNotExist]: 'publisher_does_not_exist',
}

export function streamCounters(): ProtocolCounters {
  return new ProtocolCounters('stream', 'rabbit_stream_queue', Object.values(ERROR_NAMES))
}

/** Counts a response code that is an error RabbitMQ counts. */
export function countError(counters: ProtocolCounters, code: number): void {
  const name = ERROR_NAMES[code]
  if (name !== undefined) counters.error(name)
}
