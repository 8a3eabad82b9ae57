// Domain errors carry the AMQP reply code they map to and whether it closes the connection (hard) or
// only the channel (soft). The core throws them; the AMQP layer maps them to close frames in one place.

export const REPLY_CODE_NAMES: Readonly<Record<number, string>> = {
  200: 'REPLY_SUCCESS',
  311: 'CONTENT_TOO_LARGE',
  312: 'NO_ROUTE',
  313: 'NO_CONSUMERS',
  320: 'CONNECTION_FORCED',
  402: 'INVALID_PATH',
  403: 'ACCESS_REFUSED',
  404: 'NOT_FOUND',
  405: 'RESOURCE_LOCKED',
  406: 'PRECONDITION_FAILED',
  501: 'FRAME_ERROR',
  502: 'SYNTAX_ERROR',
  503: 'COMMAND_INVALID',
  504: 'CHANNEL_ERROR',
  505: 'UNEXPECTED_FRAME',
  506: 'RESOURCE_ERROR',
  530: 'NOT_ALLOWED',
  540: 'NOT_IMPLEMENTED',
  541: 'INTERNAL_ERROR',
}

const HARD_CODES = new Set([320, 402, 501, 502, 503, 504, 505, 506, 530, 540, 541])

export class BrokerError extends Error {
  /** Stable machine-readable code, e.g. 'NOT_FOUND'. */
  readonly code: string
  readonly hard: boolean
  /** Class and method ids to report when they are not those of the method being handled. */
  method: readonly [number, number] | undefined
  constructor(
    readonly replyCode: number,
    detail: string,
  ) {
    super(detail)
    this.code = REPLY_CODE_NAMES[replyCode] ?? 'INTERNAL_ERROR'
    this.hard = HARD_CODES.has(replyCode)
    this.name = new.target.name
  }
  /** RabbitMQ's reply-text shape: "NOT_FOUND - no queue 'q' in vhost '/'". */
  get replyText(): string {
    return `${this.code} - ${this.message}`
  }
}

export class NotFoundError extends BrokerError {
  constructor(detail: string) {
    super(404, detail)
  }
}
export class AccessRefusedError extends BrokerError {
  constructor(detail: string) {
    super(403, detail)
  }
}
export class ResourceLockedError extends BrokerError {
  constructor(detail: string) {
    super(405, detail)
  }
}
export class PreconditionFailedError extends BrokerError {
  constructor(detail: string) {
    super(406, detail)
  }
}
export class ContentTooLargeError extends BrokerError {
  constructor(detail: string) {
    super(311, detail)
  }
}
export class ConnectionForcedError extends BrokerError {
  constructor(detail: string) {
    super(320, detail)
  }
}
export class InvalidPathError extends BrokerError {
  constructor(detail: string) {
    super(402, detail)
  }
}
export class FrameError extends BrokerError {
  constructor(detail: string) {
    super(501, detail)
  }
}
export class AmqpSyntaxError extends BrokerError {
  constructor(detail: string) {
    super(502, detail)
  }
}
export class CommandInvalidError extends BrokerError {
  constructor(detail: string) {
    super(503, detail)
  }
}
export class ChannelError extends BrokerError {
  constructor(detail: string) {
    super(504, detail)
  }
}
export class UnexpectedFrameError extends BrokerError {
  constructor(detail: string) {
    super(505, detail)
  }
}
export class ResourceError extends BrokerError {
  constructor(detail: string) {
    super(506, detail)
  }
}
export class NotAllowedError extends BrokerError {
  constructor(detail: string) {
    super(530, detail)
  }
}
export class NotImplementedError extends BrokerError {
  constructor(detail: string) {
    super(540, detail)
  }
}
export class InternalError extends BrokerError {
  constructor(detail: string) {
    super(541, detail)
  }
}

/**
 * A store could not write for lack of space (ENOSPC, EDQUOT). Nothing is lost: the store keeps what it
 * could not write and tries again, and what waited on the write fails now (a publisher gets a nack, a
 * declaration is undone). A hard error when it closes a connection (a transaction's commit).
 */
export class NoSpaceError extends ResourceError {
  constructor(
    what: string,
    override readonly cause: unknown,
  ) {
    super(`cannot store ${what}: no space left on device; retrying once space is freed`)
  }
}

/** Whether an I/O error means the file system is full (retryable once space is freed). */
export function isNoSpace(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  return err instanceof NoSpaceError || code === 'ENOSPC' || code === 'EDQUOT'
}
