// The AMQP 0-9-1 codec: frames, methods, content headers and field tables. Nothing else.
export { FRAME, REPLY, CLASS, HARD_ERROR_CODES } from './generated/constants.js'
export {
  type Method,
  type MethodName,
  type MethodOf,
  type BasicProperties,
  METHOD_IDS,
  CONTENT_METHODS,
  SYNCHRONOUS_METHODS,
  methodName,
  decodeMethod,
  encodeMethod,
  decodeBasicProperties,
  encodeBasicProperties,
} from './generated/methods.js'
export { Reader } from './reader.js'
export { ShortStringCache } from './short-string-cache.js'
export { Writer } from './writer.js'
export { FrameDecoder, type FrameHandler } from './frame-decoder.js'
export {
  HEARTBEAT_FRAME,
  writeMethodFrame,
  writeHeaderFrame,
  writeRawHeaderFrame,
  writeBodyFrames,
  writeDelivery,
  encodeShortString,
  encodeProperties,
} from './frames.js'
export const PROTOCOL_HEADER = Buffer.from('AMQP\x00\x00\x09\x01', 'latin1')
export { erlangBinary, describeFrame } from './erlang-format.js'
