export * from './errors.js'
export * from './field-table.js'
export * from './clock.js'
export * from './logger.js'
export type { BasicProperties } from './generated/basic-properties.js'
export { clearArray } from './arrays.js'
export { copyBytes } from './bytes.js'
export { displayAddress, isLoopback } from './net.js'
export { SocketOutput, type SocketOutputHooks } from './socket-output.js'
export { ReadTurns } from './read-turns.js'
export { tlsServer } from './tls-server.js'
export type { Transport } from './transport.js'
export { ProtocolListeners, type ProtocolListenerOptions } from './protocol-listeners.js'
export { protocolOver, webSocketServer, type WebSocketOptions, WebSocketTransport } from './websocket.js'
export {
  checkUserPattern,
  compileUserPattern,
  userPattern,
  UserPatternError,
  type UserPattern,
  type UserPatternOptions,
} from './user-pattern.js'
export { closestName, jaro } from './suggest.js'
export { erlangBinaryTerm } from './erlang-terms.js'
