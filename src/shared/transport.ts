// The byte stream a front end's connection (MQTT, STOMP) reads and writes: a TCP or TLS socket, or a
// WebSocket carrying the same bytes (RabbitMQ's Web MQTT and Web STOMP). A net.Socket is one as it is;
// websocket.ts adapts a WebSocket to it.

/** What a connection, its output and the management API's listing use of their socket. */
export interface Transport {
  readonly remoteAddress?: string | undefined
  readonly remotePort?: number | undefined
  readonly localAddress?: string | undefined
  readonly localPort?: number | undefined
  readonly bytesRead: number
  readonly bytesWritten: number
  /** Bytes written but not yet taken by the kernel (back-pressure). */
  readonly writableLength: number
  readonly destroyed: boolean
  on(event: 'data', listener: (chunk: Buffer) => void): this
  on(event: 'error', listener: (err: Error) => void): this
  /** 'drain': the output went below the high-water mark after a write that left it above. */
  on(event: 'close' | 'drain', listener: () => void): this
  write(data: Buffer): boolean
  /** Stops 'data' events until resume(): the peer is then held back by TCP flow control. */
  pause(): this
  resume(): this
  /** Ends politely (FIN, or a WebSocket close frame) once what was written has gone. */
  end(): this
  destroy(): this
}
