// Exit codes and the one error type of `warren ctl`. The codes are rabbitmqctl's (BSD sysexits), so
// scripts written against rabbitmqctl keep their checks.

export const EXIT = {
  ok: 0,
  /** Bad command line: unknown command, option or column, wrong number of arguments. */
  usage: 64,
  /** Bad input or a missing object (file, vhost) named on the command line. */
  dataErr: 65,
  /** The user named on the command line does not exist. */
  noUser: 67,
  /** The broker cannot be reached, or cannot do what was asked. */
  unavailable: 69,
  /** The broker failed, or answered in a way this client does not understand. */
  software: 70,
  /** The broker did not answer in time. */
  tempFail: 75,
  /** The HTTP API refused the credentials or the user's tags. */
  noPerm: 77,
} as const

export type ExitCode = (typeof EXIT)[keyof typeof EXIT]

/** A failure to report on stderr (the message, as printed) and exit with `exitCode`. */
export class CtlError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message)
    this.name = 'CtlError'
  }
}

/** rabbitmqctl's two-line form for errors the broker reported: "Error:" then the reason. */
export function brokerError(reason: string, exitCode: ExitCode): CtlError {
  return new CtlError(`Error:\n${reason}`, exitCode)
}
