// What the server says besides RECEIPT: the version a CONNECT gets, a delivery's MESSAGE headers, and
// ERROR frames as RabbitMQ writes them (message, content-type, the versions it speaks, then the rest).
import { BrokerError } from '../shared/index.js'
import { deliveredDestination } from './destinations.js'
import { StompError } from './frame.js'
import { toStompHeaders } from './message-headers.js'
import type { Delivery } from './settlement.js'

const VERSIONS = ['1.2', '1.1', '1.0']
export const SUPPORTED = VERSIONS.slice().reverse().join(',')

/** The highest version both sides speak; a CONNECT without accept-version speaks 1.0. */
export function negotiate(accept: string | undefined): string {
  if (accept === undefined) return '1.0'
  const asked = new Set(accept.split(',').map((v) => v.trim()))
  const v = VERSIONS.find((x) => asked.has(x))
  if (v === undefined) throw new StompError('Version mismatch', `Supported versions are ${SUPPORTED}`)
  return v
}

/** An ERROR frame's message header and body: RabbitMQ names broker errors by their AMQP code. */
export function describe(err: unknown): [string, string] {
  if (err instanceof StompError) return [err.title, err.details]
  if (err instanceof BrokerError) return [err.code.toLowerCase(), err.replyText]
  return ['Internal error', err instanceof Error ? err.message : String(err)]
}

export function errorHeaders(title: string, ...more: Array<[string, string]>): Array<[string, string]> {
  return [['message', title], ['content-type', 'text/plain'], ['version', SUPPORTED], ...more]
}

/** RabbitMQ's ERROR for a subscription whose queue was deleted. */
export function serverCancelled(id: string): { headers: Array<[string, string]>; body: Buffer } {
  const body = `The server has canceled a subscription.\nNo more messages will be delivered for "id='${id}'".\n`
  return {
    headers: errorHeaders('Server cancelled subscription', ['subscription', id]),
    body: Buffer.from(body),
  }
}

/** A MESSAGE's headers: the frame's own, then the message's AMQP headers and properties. */
export function messageHeaders(d: Delivery, version: string): Array<[string, string]> {
  const msg = d.entry.message
  const headers: Array<[string, string]> = [
    ['subscription', d.sub.id],
    ['destination', deliveredDestination(msg.exchange, msg.routingKey)],
    ['message-id', d.messageId],
    ['redelivered', String(d.entry.redelivered)],
  ]
  if (version === '1.2' && !d.sub.noAck) headers.push(['ack', d.messageId])
  for (const h of toStompHeaders(msg)) headers.push(h)
  return headers
}
