// The Stream protocol front end (RabbitMQ's rabbitmq_stream, port 5552). See docs/streams.md.
export { StreamServer, type StreamServerOptions, type StreamServerSettings } from './server.js'
export { STREAM_PROTOCOL_RABBITMQ_VERSION } from './handshake.js'
export { decodeAmqp10, encodeAmqp10 } from './message-mapping.js'
export { decodeBatch } from './batches.js'
// The codec, for clients of the protocol (`warren perf stream`); nothing in the broker imports it.
export { FrameReader, MalformedFrameError } from './frame-reader.js'
export { FrameWriter } from './frame-writer.js'
export { CODE, KEY, OFFSET_TYPE } from './constants.js'
export { CHUNK_HEADER_SIZE } from './osiris-chunk.js'
