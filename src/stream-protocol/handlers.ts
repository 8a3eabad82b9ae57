// The dispatch table: one handler per command key. `oneWay` commands carry no correlation id and get no
// response; `beforeOpen` ones are allowed during the handshake.
import { KEY } from './constants.js'
import type { StreamConnection } from './connection.js'
import type { FrameReader } from './frame-reader.js'
import {
  onClose,
  onExchangeCommandVersions,
  onOpen,
  onPeerProperties,
  onSaslAuthenticate,
  onSaslHandshake,
  onTune,
} from './handshake.js'
import { onDeclarePublisher, onDeletePublisher, onPublish, onQueryPublisherSequence } from './publishers.js'
import { onCreate, onDelete, onMetadata, onStreamStats } from './streams.js'
import { onCredit, onQueryOffset, onStoreOffset, onSubscribe, onUnsubscribe } from './subscriptions.js'
import { onCreateSuperStream, onDeleteSuperStream, onPartitions, onRoute } from './super-streams.js'

export interface Ctx {
  readonly correlationId: number
  readonly version: number
  readonly key: number
}

export interface Handler {
  readonly run: (c: StreamConnection, r: FrameReader, ctx: Ctx) => void
  readonly oneWay?: boolean
  readonly beforeOpen?: boolean
}

const handshake = (run: Handler['run'], oneWay = false): Handler => ({ run, beforeOpen: true, oneWay })

export const HANDLERS: Readonly<Record<number, Handler>> = {
  [KEY.peerProperties]: handshake(onPeerProperties),
  [KEY.saslHandshake]: handshake(onSaslHandshake),
  [KEY.saslAuthenticate]: handshake(onSaslAuthenticate),
  [KEY.tune]: handshake(onTune, true),
  [KEY.open]: handshake(onOpen),
  [KEY.close]: handshake(onClose),
  [KEY.heartbeat]: handshake(() => undefined, true),
  [KEY.exchangeCommandVersions]: { run: onExchangeCommandVersions },
  [KEY.declarePublisher]: { run: onDeclarePublisher },
  [KEY.publish]: { run: onPublish, oneWay: true },
  [KEY.queryPublisherSequence]: { run: onQueryPublisherSequence },
  [KEY.deletePublisher]: { run: onDeletePublisher },
  [KEY.subscribe]: { run: onSubscribe },
  [KEY.credit]: { run: onCredit, oneWay: true },
  [KEY.storeOffset]: { run: onStoreOffset, oneWay: true },
  [KEY.queryOffset]: { run: onQueryOffset },
  [KEY.unsubscribe]: { run: onUnsubscribe },
  [KEY.create]: { run: onCreate },
  [KEY.delete]: { run: onDelete },
  [KEY.metadata]: { run: onMetadata },
  [KEY.streamStats]: { run: onStreamStats },
  [KEY.createSuperStream]: { run: onCreateSuperStream },
  [KEY.deleteSuperStream]: { run: onDeleteSuperStream },
  [KEY.route]: { run: onRoute },
  [KEY.partitions]: { run: onPartitions },
}
