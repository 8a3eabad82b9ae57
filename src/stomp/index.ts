// The STOMP 1.0, 1.1 and 1.2 front end: frames mapped onto the core's Session as RabbitMQ's STOMP plugin maps them.
export { StompServer } from './server.js'
export { stompCounters } from './metrics.js'
export type { StompContext, StompSettings } from './context.js'
export { FrameDecoder } from './decoder.js'
export { encodeFrame } from './encoder.js'
export { MalformedFrameError, StompError, type Frame, type Headers } from './frame.js'
export { parseDestination } from './destinations.js'
