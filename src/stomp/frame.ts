// STOMP frames as Warren's front end sees them, and the error that ends a connection with an ERROR frame.

/** A frame's headers in the order they came; a repeated header's first value is the one that counts. */
export type Headers = ReadonlyArray<readonly [string, string]>

export interface Frame {
  readonly command: string
  readonly headers: Headers
  readonly body: Buffer
}

/** The commands a client may send (STOMP 1.2 §Client Frames; STOMP is 1.2's name for CONNECT). */
export const CLIENT_COMMANDS = new Set([
  'CONNECT',
  'STOMP',
  'SEND',
  'SUBSCRIBE',
  'UNSUBSCRIBE',
  'ACK',
  'NACK',
  'BEGIN',
  'COMMIT',
  'ABORT',
  'DISCONNECT',
])

/** The first value of a header, as STOMP 1.2 says repeated headers are read. */
export function header(f: Frame, name: string): string | undefined {
  for (const [k, v] of f.headers) if (k === name) return v
  return undefined
}

/**
 * What goes wrong on a connection: sent as an ERROR frame (`message` header, `details` as the body). A
 * fatal one closes the connection; RabbitMQ's STOMP plugin keeps it open after a frame that only names
 * something wrong (a destination, a subscription, a transaction, a missing header), as Warren does.
 */
export class StompError extends Error {
  constructor(
    readonly title: string,
    readonly details: string,
    readonly fatal = true,
  ) {
    super(`${title}: ${details}`)
    this.name = 'StompError'
  }
}

/** An error after which the connection goes on, as in RabbitMQ. */
export function frameError(title: string, details: string): StompError {
  return new StompError(title, details, false)
}

/** Input that is not STOMP (RabbitMQ's "Invalid frame" and friends). */
export class MalformedFrameError extends StompError {
  constructor(details: string) {
    super('Invalid frame', details)
    this.name = 'MalformedFrameError'
  }
}
