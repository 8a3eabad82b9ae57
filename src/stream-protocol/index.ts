// The Stream protocol front end (RabbitMQ's rabbitmq_stream, port 5552). See docs/streams.md.
export { StreamServer, type StreamServerOptions, type StreamServerSettings } from './server.js'
export { STREAM_PROTOCOL_RABBITMQ_VERSION } from './handshake.js'
export { decodeAmqp10, encodeAmqp10 } from './message-mapping.js'
