// The server behind each TLS listener (AMQPS, MQTT, STOMP, and the WebSocket ones), with TLS 1.3
// session tickets off, as RabbitMQ has them: Erlang's ssl issues none unless asked. OpenSSL under Node
// sends two NewSessionTicket messages right after every TLS 1.3 handshake, just as the client sends its
// first frame. A client that reads on one thread and writes on another through one OpenSSL object
// (Python's stomp.py) then breaks its own TLS state: about 1 in 10 stomp.py CONNECTs over TLS failed
// against Warren, none against RabbitMQ 3.10.8. Node resumes no TLS 1.3 session from those tickets anyway.
//
// Node has no setting for it (SSL_CTX_set_num_tickets is not exposed, and SSL_OP_NO_TICKET only makes
// TLS 1.3 tickets stateful). Its ticket-key callback is the lever left: asked for a key, it answers 0
// ("no ticket"), which makes OpenSSL 3 drop a TLS 1.3 ticket, send an empty one in TLS 1.2 and treat a
// ticket a client offers as unknown (a full handshake). The callback is reached through the server's
// secure context, which Node does not document; test/integration/tls-tickets.test.ts fails if a Node
// update moves it.
import { randomBytes } from 'node:crypto'
import { createServer, type Server, type TlsOptions, type TLSSocket } from 'node:tls'

/** The part of Node's native secure context this needs. */
interface TicketKeyContext {
  enableTicketKeyCallback(): void
  onticketkeycallback?: (name: Buffer, iv: Buffer, encrypt: boolean) => unknown[]
}

/** Node reads the answer as [result, hmac key, aes key, key name, iv]; the keys must be 16 bytes. */
const NO_TICKET = 0
const UNUSED_KEY = randomBytes(16)

/** Stops `server` from issuing session tickets (where Node has no such hook, it is left as it is). */
function withoutSessionTickets(server: Server): void {
  const context = (server as unknown as { _sharedCreds?: { context?: Partial<TicketKeyContext> } })
    ._sharedCreds?.context
  if (typeof context?.enableTicketKeyCallback !== 'function') return
  context.onticketkeycallback = (name, iv) => [NO_TICKET, UNUSED_KEY, UNUSED_KEY, name, iv]
  context.enableTicketKeyCallback()
}

/** A TLS listener's server for a protocol on TCP: Nagle off, and what asTlsListener gives. */
export function tlsServer(
  options: TlsOptions,
  accept: (socket: TLSSocket) => void,
  failed: (err: Error) => void,
): Server {
  const server = createServer(options, (socket) => {
    socket.setNoDelay(true)
    accept(socket)
  })
  return asTlsListener(server, failed)
}

/**
 * What every TLS listener's server gets, the HTTPS one under WebSocket too: no session tickets, and each
 * failed handshake (which never becomes a connection) handed to `failed`.
 */
export function asTlsListener<S extends Server>(server: S, failed: (err: Error) => void): S {
  server.on('tlsClientError', failed)
  withoutSessionTickets(server)
  return server
}
