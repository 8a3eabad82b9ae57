// The MQTT 3.1, 3.1.1 and 5 front end: packets mapped onto the core's Session as RabbitMQ's MQTT plugin maps them.
export { MqttServer } from './server.js'
export { MqttCounters } from './metrics.js'
export type { MqttContext, MqttSettings } from './context.js'
export { RetainedStore } from './retained.js'
export { PacketDecoder } from './decoder.js'
export { MalformedPacketError } from './packets.js'
export { toAmqp, toMqtt } from './topics.js'
// The codec's packet writers and constants, for clients of Warren's own (`warren perf mqtt`).
export { encodePublish } from './encoder.js'
export { PACKET } from './packets.js'
export { varint } from './properties.js'
