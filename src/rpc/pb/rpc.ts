import { decodeMessage, encodeMessage, MaxLengthError, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface RpcMessage {
  call?: Call
  reply?: Reply
  ack?: Ack
  statusQuery?: StatusQuery
  statusInfo?: StatusInfo
  container?: Container
  newSalt?: NewSalt
  ping?: Ping
  pong?: Pong
}

export namespace RpcMessage {
  let _codec: Codec<RpcMessage, RpcMessage>

  export const codec = (): Codec<RpcMessage, RpcMessage> => {
    if (_codec == null) {
      _codec = message<RpcMessage, RpcMessage>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.call != null) {
          w.uint32(10)
          Call.codec().encode(obj.call, w)
        }

        if (obj.reply != null) {
          w.uint32(18)
          Reply.codec().encode(obj.reply, w)
        }

        if (obj.ack != null) {
          w.uint32(26)
          Ack.codec().encode(obj.ack, w)
        }

        if (obj.statusQuery != null) {
          w.uint32(34)
          StatusQuery.codec().encode(obj.statusQuery, w)
        }

        if (obj.statusInfo != null) {
          w.uint32(42)
          StatusInfo.codec().encode(obj.statusInfo, w)
        }

        if (obj.container != null) {
          w.uint32(50)
          Container.codec().encode(obj.container, w)
        }

        if (obj.newSalt != null) {
          w.uint32(58)
          NewSalt.codec().encode(obj.newSalt, w)
        }

        if (obj.ping != null) {
          w.uint32(66)
          Ping.codec().encode(obj.ping, w)
        }

        if (obj.pong != null) {
          w.uint32(74)
          Pong.codec().encode(obj.pong, w)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {}

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.call = Call.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.call
              })
              break
            }
            case 2: {
              obj.reply = Reply.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.reply
              })
              break
            }
            case 3: {
              obj.ack = Ack.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.ack
              })
              break
            }
            case 4: {
              obj.statusQuery = StatusQuery.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.statusQuery
              })
              break
            }
            case 5: {
              obj.statusInfo = StatusInfo.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.statusInfo
              })
              break
            }
            case 6: {
              obj.container = Container.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.container
              })
              break
            }
            case 7: {
              obj.newSalt = NewSalt.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.newSalt
              })
              break
            }
            case 8: {
              obj.ping = Ping.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.ping
              })
              break
            }
            case 9: {
              obj.pong = Pong.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.pong
              })
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield * Call.codec().stream(reader, reader.uint32(), `${prefix}.call`, {
                limits: opts.limits?.call
              })

              break
            }
            case 2: {
              yield * Reply.codec().stream(reader, reader.uint32(), `${prefix}.reply`, {
                limits: opts.limits?.reply
              })

              break
            }
            case 3: {
              yield * Ack.codec().stream(reader, reader.uint32(), `${prefix}.ack`, {
                limits: opts.limits?.ack
              })

              break
            }
            case 4: {
              yield * StatusQuery.codec().stream(reader, reader.uint32(), `${prefix}.statusQuery`, {
                limits: opts.limits?.statusQuery
              })

              break
            }
            case 5: {
              yield * StatusInfo.codec().stream(reader, reader.uint32(), `${prefix}.statusInfo`, {
                limits: opts.limits?.statusInfo
              })

              break
            }
            case 6: {
              yield * Container.codec().stream(reader, reader.uint32(), `${prefix}.container`, {
                limits: opts.limits?.container
              })

              break
            }
            case 7: {
              yield * NewSalt.codec().stream(reader, reader.uint32(), `${prefix}.newSalt`, {
                limits: opts.limits?.newSalt
              })

              break
            }
            case 8: {
              yield * Ping.codec().stream(reader, reader.uint32(), `${prefix}.ping`, {
                limits: opts.limits?.ping
              })

              break
            }
            case 9: {
              yield * Pong.codec().stream(reader, reader.uint32(), `${prefix}.pong`, {
                limits: opts.limits?.pong
              })

              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface RpcMessageCallMethodFieldEvent {
    field: '$.call.method'
    value: string
  }

  export interface RpcMessageCallParamsFieldEvent {
    field: '$.call.params'
    value: Uint8Array<ArrayBuffer>
  }

  export interface RpcMessageReplyReqMsgIdFieldEvent {
    field: '$.reply.reqMsgId'
    value: bigint
  }

  export interface RpcMessageReplyResultFieldEvent {
    field: '$.reply.result'
    value: Uint8Array<ArrayBuffer>
  }

  export interface RpcMessageReplyErrorCodeFieldEvent {
    field: '$.reply.error.code'
    value: string
  }

  export interface RpcMessageReplyErrorMessageFieldEvent {
    field: '$.reply.error.message'
    value: string
  }

  export interface RpcMessageAckMsgIdsFieldEvent {
    field: '$.ack.msgIds[]'
    index: number
    value: bigint
  }

  export interface RpcMessageStatusQueryMsgIdsFieldEvent {
    field: '$.statusQuery.msgIds[]'
    index: number
    value: bigint
  }

  export interface RpcMessageStatusInfoReqMsgIdFieldEvent {
    field: '$.statusInfo.reqMsgId'
    value: bigint
  }

  export interface RpcMessageStatusInfoMsgIdsFieldEvent {
    field: '$.statusInfo.msgIds[]'
    index: number
    value: bigint
  }

  export interface RpcMessageStatusInfoStatesFieldEvent {
    field: '$.statusInfo.states'
    value: Uint8Array<ArrayBuffer>
  }

  export interface RpcMessageContainerMessagesMsgIdFieldEvent {
    field: '$.container.messages[].msgId'
    value: bigint
    index: number
  }

  export interface RpcMessageContainerMessagesBodyFieldEvent {
    field: '$.container.messages[].body'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface RpcMessageNewSaltSaltFieldEvent {
    field: '$.newSalt.salt'
    value: Uint8Array<ArrayBuffer>
  }

  export interface RpcMessageNewSaltValidSinceFieldEvent {
    field: '$.newSalt.validSince'
    value: bigint
  }

  export interface RpcMessageNewSaltBadMsgIdFieldEvent {
    field: '$.newSalt.badMsgId'
    value: bigint
  }

  export interface RpcMessagePingPingIdFieldEvent {
    field: '$.ping.pingId'
    value: bigint
  }

  export interface RpcMessagePongPingIdFieldEvent {
    field: '$.pong.pingId'
    value: bigint
  }

  export interface RpcMessagePongReqMsgIdFieldEvent {
    field: '$.pong.reqMsgId'
    value: bigint
  }

  export function encode (obj: RpcMessage): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, RpcMessage.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<RpcMessage>): RpcMessage {
    return decodeMessage(buf, RpcMessage.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<RpcMessage>): Generator<RpcMessageCallMethodFieldEvent | RpcMessageCallParamsFieldEvent | RpcMessageReplyReqMsgIdFieldEvent | RpcMessageReplyResultFieldEvent | RpcMessageReplyErrorCodeFieldEvent | RpcMessageReplyErrorMessageFieldEvent | RpcMessageAckMsgIdsFieldEvent | RpcMessageStatusQueryMsgIdsFieldEvent | RpcMessageStatusInfoReqMsgIdFieldEvent | RpcMessageStatusInfoMsgIdsFieldEvent | RpcMessageStatusInfoStatesFieldEvent | RpcMessageContainerMessagesMsgIdFieldEvent | RpcMessageContainerMessagesBodyFieldEvent | RpcMessageNewSaltSaltFieldEvent | RpcMessageNewSaltValidSinceFieldEvent | RpcMessageNewSaltBadMsgIdFieldEvent | RpcMessagePingPingIdFieldEvent | RpcMessagePongPingIdFieldEvent | RpcMessagePongReqMsgIdFieldEvent> {
    return streamMessage(buf, RpcMessage.codec(), opts)
  }
}

export interface Call {
  method: string
  params: Uint8Array<ArrayBuffer>
}

export namespace Call {
  let _codec: Codec<Call, Call>

  export const codec = (): Codec<Call, Call> => {
    if (_codec == null) {
      _codec = message<Call, Call>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.method != null && obj.method !== '')) {
          w.uint32(10)
          w.string(obj.method)
        }

        if ((obj.params != null && obj.params.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.params)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          method: '',
          params: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.method = reader.string()
              break
            }
            case 2: {
              obj.params = reader.bytes()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.method`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.params`,
                value: reader.bytes()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface CallMethodFieldEvent {
    field: '$.method'
    value: string
  }

  export interface CallParamsFieldEvent {
    field: '$.params'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Call): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Call.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Call>): Call {
    return decodeMessage(buf, Call.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Call>): Generator<CallMethodFieldEvent | CallParamsFieldEvent> {
    return streamMessage(buf, Call.codec(), opts)
  }
}

export interface RpcError {
  code: string
  message: string
}

export namespace RpcError {
  let _codec: Codec<RpcError, RpcError>

  export const codec = (): Codec<RpcError, RpcError> => {
    if (_codec == null) {
      _codec = message<RpcError, RpcError>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.code != null && obj.code !== '')) {
          w.uint32(10)
          w.string(obj.code)
        }

        if ((obj.message != null && obj.message !== '')) {
          w.uint32(18)
          w.string(obj.message)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          code: '',
          message: ''
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.code = reader.string()
              break
            }
            case 2: {
              obj.message = reader.string()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.code`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.message`,
                value: reader.string()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface RpcErrorCodeFieldEvent {
    field: '$.code'
    value: string
  }

  export interface RpcErrorMessageFieldEvent {
    field: '$.message'
    value: string
  }

  export function encode (obj: RpcError): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, RpcError.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<RpcError>): RpcError {
    return decodeMessage(buf, RpcError.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<RpcError>): Generator<RpcErrorCodeFieldEvent | RpcErrorMessageFieldEvent> {
    return streamMessage(buf, RpcError.codec(), opts)
  }
}

export interface Reply {
  reqMsgId: bigint
  result?: Uint8Array<ArrayBuffer>
  error?: RpcError
}

export namespace Reply {
  let _codec: Codec<Reply, Reply>

  export const codec = (): Codec<Reply, Reply> => {
    if (_codec == null) {
      _codec = message<Reply, Reply>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.reqMsgId != null && obj.reqMsgId !== 0n)) {
          w.uint32(8)
          w.uint64(obj.reqMsgId)
        }

        if (obj.result != null) {
          w.uint32(18)
          w.bytes(obj.result)
        }

        if (obj.error != null) {
          w.uint32(26)
          RpcError.codec().encode(obj.error, w)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          reqMsgId: 0n
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.reqMsgId = reader.uint64()
              break
            }
            case 2: {
              obj.result = reader.bytes()
              break
            }
            case 3: {
              obj.error = RpcError.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.error
              })
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.reqMsgId`,
                value: reader.uint64()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.result`,
                value: reader.bytes()
              }
              break
            }
            case 3: {
              yield * RpcError.codec().stream(reader, reader.uint32(), `${prefix}.error`, {
                limits: opts.limits?.error
              })

              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface ReplyReqMsgIdFieldEvent {
    field: '$.reqMsgId'
    value: bigint
  }

  export interface ReplyResultFieldEvent {
    field: '$.result'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ReplyErrorCodeFieldEvent {
    field: '$.error.code'
    value: string
  }

  export interface ReplyErrorMessageFieldEvent {
    field: '$.error.message'
    value: string
  }

  export function encode (obj: Reply): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Reply.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Reply>): Reply {
    return decodeMessage(buf, Reply.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Reply>): Generator<ReplyReqMsgIdFieldEvent | ReplyResultFieldEvent | ReplyErrorCodeFieldEvent | ReplyErrorMessageFieldEvent> {
    return streamMessage(buf, Reply.codec(), opts)
  }
}

export interface Ack {
  msgIds: bigint[]
}

export namespace Ack {
  let _codec: Codec<Ack, Ack>

  export const codec = (): Codec<Ack, Ack> => {
    if (_codec == null) {
      _codec = message<Ack, Ack>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.msgIds != null && obj.msgIds.length > 0) {
          for (const value of obj.msgIds) {
            w.uint32(8)
            w.uint64(value)
          }
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          msgIds: []
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              if (opts.limits?.msgIds != null && obj.msgIds.length === opts.limits.msgIds) {
                throw new MaxLengthError('Decode error - repeated field "msgIds" had too many elements')
              }

              obj.msgIds.push(reader.uint64())
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const obj = {
          msgIds: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              if (opts.limits?.msgIds != null && obj.msgIds === opts.limits.msgIds) {
                throw new MaxLengthError('Streaming decode error - repeated field "msgIds" had too many elements')
              }

              yield {
                field: `${prefix}.msgIds[]`,
                index: obj.msgIds,
                value: reader.uint64()
              }

              obj.msgIds++

              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface AckMsgIdsFieldEvent {
    field: '$.msgIds[]'
    index: number
    value: bigint
  }

  export function encode (obj: Ack): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Ack.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Ack>): Ack {
    return decodeMessage(buf, Ack.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Ack>): Generator<AckMsgIdsFieldEvent> {
    return streamMessage(buf, Ack.codec(), opts)
  }
}

export interface StatusQuery {
  msgIds: bigint[]
}

export namespace StatusQuery {
  let _codec: Codec<StatusQuery, StatusQuery>

  export const codec = (): Codec<StatusQuery, StatusQuery> => {
    if (_codec == null) {
      _codec = message<StatusQuery, StatusQuery>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.msgIds != null && obj.msgIds.length > 0) {
          for (const value of obj.msgIds) {
            w.uint32(8)
            w.uint64(value)
          }
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          msgIds: []
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              if (opts.limits?.msgIds != null && obj.msgIds.length === opts.limits.msgIds) {
                throw new MaxLengthError('Decode error - repeated field "msgIds" had too many elements')
              }

              obj.msgIds.push(reader.uint64())
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const obj = {
          msgIds: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              if (opts.limits?.msgIds != null && obj.msgIds === opts.limits.msgIds) {
                throw new MaxLengthError('Streaming decode error - repeated field "msgIds" had too many elements')
              }

              yield {
                field: `${prefix}.msgIds[]`,
                index: obj.msgIds,
                value: reader.uint64()
              }

              obj.msgIds++

              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface StatusQueryMsgIdsFieldEvent {
    field: '$.msgIds[]'
    index: number
    value: bigint
  }

  export function encode (obj: StatusQuery): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, StatusQuery.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<StatusQuery>): StatusQuery {
    return decodeMessage(buf, StatusQuery.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<StatusQuery>): Generator<StatusQueryMsgIdsFieldEvent> {
    return streamMessage(buf, StatusQuery.codec(), opts)
  }
}

export interface StatusInfo {
  reqMsgId: bigint
  msgIds: bigint[]
  states: Uint8Array<ArrayBuffer>
}

export namespace StatusInfo {
  let _codec: Codec<StatusInfo, StatusInfo>

  export const codec = (): Codec<StatusInfo, StatusInfo> => {
    if (_codec == null) {
      _codec = message<StatusInfo, StatusInfo>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.reqMsgId != null && obj.reqMsgId !== 0n)) {
          w.uint32(8)
          w.uint64(obj.reqMsgId)
        }

        if (obj.msgIds != null && obj.msgIds.length > 0) {
          for (const value of obj.msgIds) {
            w.uint32(16)
            w.uint64(value)
          }
        }

        if ((obj.states != null && obj.states.byteLength > 0)) {
          w.uint32(26)
          w.bytes(obj.states)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          reqMsgId: 0n,
          msgIds: [],
          states: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.reqMsgId = reader.uint64()
              break
            }
            case 2: {
              if (opts.limits?.msgIds != null && obj.msgIds.length === opts.limits.msgIds) {
                throw new MaxLengthError('Decode error - repeated field "msgIds" had too many elements')
              }

              obj.msgIds.push(reader.uint64())
              break
            }
            case 3: {
              obj.states = reader.bytes()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const obj = {
          msgIds: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.reqMsgId`,
                value: reader.uint64()
              }
              break
            }
            case 2: {
              if (opts.limits?.msgIds != null && obj.msgIds === opts.limits.msgIds) {
                throw new MaxLengthError('Streaming decode error - repeated field "msgIds" had too many elements')
              }

              yield {
                field: `${prefix}.msgIds[]`,
                index: obj.msgIds,
                value: reader.uint64()
              }

              obj.msgIds++

              break
            }
            case 3: {
              yield {
                field: `${prefix}.states`,
                value: reader.bytes()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface StatusInfoReqMsgIdFieldEvent {
    field: '$.reqMsgId'
    value: bigint
  }

  export interface StatusInfoMsgIdsFieldEvent {
    field: '$.msgIds[]'
    index: number
    value: bigint
  }

  export interface StatusInfoStatesFieldEvent {
    field: '$.states'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: StatusInfo): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, StatusInfo.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<StatusInfo>): StatusInfo {
    return decodeMessage(buf, StatusInfo.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<StatusInfo>): Generator<StatusInfoReqMsgIdFieldEvent | StatusInfoMsgIdsFieldEvent | StatusInfoStatesFieldEvent> {
    return streamMessage(buf, StatusInfo.codec(), opts)
  }
}

export interface ContainerItem {
  msgId: bigint
  body: Uint8Array<ArrayBuffer>
}

export namespace ContainerItem {
  let _codec: Codec<ContainerItem, ContainerItem>

  export const codec = (): Codec<ContainerItem, ContainerItem> => {
    if (_codec == null) {
      _codec = message<ContainerItem, ContainerItem>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.msgId != null && obj.msgId !== 0n)) {
          w.uint32(8)
          w.uint64(obj.msgId)
        }

        if ((obj.body != null && obj.body.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.body)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          msgId: 0n,
          body: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.msgId = reader.uint64()
              break
            }
            case 2: {
              obj.body = reader.bytes()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.msgId`,
                value: reader.uint64()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.body`,
                value: reader.bytes()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface ContainerItemMsgIdFieldEvent {
    field: '$.msgId'
    value: bigint
  }

  export interface ContainerItemBodyFieldEvent {
    field: '$.body'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: ContainerItem): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, ContainerItem.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ContainerItem>): ContainerItem {
    return decodeMessage(buf, ContainerItem.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ContainerItem>): Generator<ContainerItemMsgIdFieldEvent | ContainerItemBodyFieldEvent> {
    return streamMessage(buf, ContainerItem.codec(), opts)
  }
}

export interface Container {
  messages: ContainerItem[]
}

export namespace Container {
  let _codec: Codec<Container, Container>

  export const codec = (): Codec<Container, Container> => {
    if (_codec == null) {
      _codec = message<Container, Container>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.messages != null && obj.messages.length > 0) {
          for (const value of obj.messages) {
            w.uint32(10)
            ContainerItem.codec().encode(value, w)
          }
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          messages: []
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              if (opts.limits?.messages != null && obj.messages.length === opts.limits.messages) {
                throw new MaxLengthError('Decode error - repeated field "messages" had too many elements')
              }

              obj.messages.push(ContainerItem.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.messages$
              }))
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const obj = {
          messages: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              if (opts.limits?.messages != null && obj.messages === opts.limits.messages) {
                throw new MaxLengthError('Streaming decode error - repeated field "messages" had too many elements')
              }

              for (const evt of ContainerItem.codec().stream(reader, reader.uint32(), `${prefix}.messages[]`, {
                limits: opts.limits?.messages$
              })) {
                yield {
                  ...evt,
                  index: obj.messages
                }
              }

              obj.messages++

              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface ContainerMessagesMsgIdFieldEvent {
    field: '$.messages[].msgId'
    value: bigint
    index: number
  }

  export interface ContainerMessagesBodyFieldEvent {
    field: '$.messages[].body'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export function encode (obj: Container): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Container.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Container>): Container {
    return decodeMessage(buf, Container.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Container>): Generator<ContainerMessagesMsgIdFieldEvent | ContainerMessagesBodyFieldEvent> {
    return streamMessage(buf, Container.codec(), opts)
  }
}

export interface NewSalt {
  salt: Uint8Array<ArrayBuffer>
  validSince: bigint
  badMsgId: bigint
}

export namespace NewSalt {
  let _codec: Codec<NewSalt, NewSalt>

  export const codec = (): Codec<NewSalt, NewSalt> => {
    if (_codec == null) {
      _codec = message<NewSalt, NewSalt>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.salt != null && obj.salt.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.salt)
        }

        if ((obj.validSince != null && obj.validSince !== 0n)) {
          w.uint32(16)
          w.uint64(obj.validSince)
        }

        if ((obj.badMsgId != null && obj.badMsgId !== 0n)) {
          w.uint32(24)
          w.uint64(obj.badMsgId)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          salt: uint8ArrayAlloc(0),
          validSince: 0n,
          badMsgId: 0n
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.salt = reader.bytes()
              break
            }
            case 2: {
              obj.validSince = reader.uint64()
              break
            }
            case 3: {
              obj.badMsgId = reader.uint64()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.salt`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.validSince`,
                value: reader.uint64()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.badMsgId`,
                value: reader.uint64()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface NewSaltSaltFieldEvent {
    field: '$.salt'
    value: Uint8Array<ArrayBuffer>
  }

  export interface NewSaltValidSinceFieldEvent {
    field: '$.validSince'
    value: bigint
  }

  export interface NewSaltBadMsgIdFieldEvent {
    field: '$.badMsgId'
    value: bigint
  }

  export function encode (obj: NewSalt): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, NewSalt.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<NewSalt>): NewSalt {
    return decodeMessage(buf, NewSalt.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<NewSalt>): Generator<NewSaltSaltFieldEvent | NewSaltValidSinceFieldEvent | NewSaltBadMsgIdFieldEvent> {
    return streamMessage(buf, NewSalt.codec(), opts)
  }
}

export interface Ping {
  pingId: bigint
}

export namespace Ping {
  let _codec: Codec<Ping, Ping>

  export const codec = (): Codec<Ping, Ping> => {
    if (_codec == null) {
      _codec = message<Ping, Ping>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.pingId != null && obj.pingId !== 0n)) {
          w.uint32(8)
          w.uint64(obj.pingId)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          pingId: 0n
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.pingId = reader.uint64()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.pingId`,
                value: reader.uint64()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface PingPingIdFieldEvent {
    field: '$.pingId'
    value: bigint
  }

  export function encode (obj: Ping): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Ping.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Ping>): Ping {
    return decodeMessage(buf, Ping.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Ping>): Generator<PingPingIdFieldEvent> {
    return streamMessage(buf, Ping.codec(), opts)
  }
}

export interface Pong {
  pingId: bigint
  reqMsgId: bigint
}

export namespace Pong {
  let _codec: Codec<Pong, Pong>

  export const codec = (): Codec<Pong, Pong> => {
    if (_codec == null) {
      _codec = message<Pong, Pong>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.pingId != null && obj.pingId !== 0n)) {
          w.uint32(8)
          w.uint64(obj.pingId)
        }

        if ((obj.reqMsgId != null && obj.reqMsgId !== 0n)) {
          w.uint32(16)
          w.uint64(obj.reqMsgId)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          pingId: 0n,
          reqMsgId: 0n
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.pingId = reader.uint64()
              break
            }
            case 2: {
              obj.reqMsgId = reader.uint64()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.pingId`,
                value: reader.uint64()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.reqMsgId`,
                value: reader.uint64()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface PongPingIdFieldEvent {
    field: '$.pingId'
    value: bigint
  }

  export interface PongReqMsgIdFieldEvent {
    field: '$.reqMsgId'
    value: bigint
  }

  export function encode (obj: Pong): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Pong.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Pong>): Pong {
    return decodeMessage(buf, Pong.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Pong>): Generator<PongPingIdFieldEvent | PongReqMsgIdFieldEvent> {
    return streamMessage(buf, Pong.codec(), opts)
  }
}

export interface Info {
  version: string
  address: string
  methods: string[]
  protocols: string[]
  carriers: string[]
  mailboxPrice: string
}

export namespace Info {
  let _codec: Codec<Info, Info>

  export const codec = (): Codec<Info, Info> => {
    if (_codec == null) {
      _codec = message<Info, Info>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.version != null && obj.version !== '')) {
          w.uint32(10)
          w.string(obj.version)
        }

        if ((obj.address != null && obj.address !== '')) {
          w.uint32(18)
          w.string(obj.address)
        }

        if (obj.methods != null && obj.methods.length > 0) {
          for (const value of obj.methods) {
            w.uint32(26)
            w.string(value)
          }
        }

        if (obj.protocols != null && obj.protocols.length > 0) {
          for (const value of obj.protocols) {
            w.uint32(34)
            w.string(value)
          }
        }

        if (obj.carriers != null && obj.carriers.length > 0) {
          for (const value of obj.carriers) {
            w.uint32(42)
            w.string(value)
          }
        }

        if ((obj.mailboxPrice != null && obj.mailboxPrice !== '')) {
          w.uint32(50)
          w.string(obj.mailboxPrice)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          version: '',
          address: '',
          methods: [],
          protocols: [],
          carriers: [],
          mailboxPrice: ''
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.version = reader.string()
              break
            }
            case 2: {
              obj.address = reader.string()
              break
            }
            case 3: {
              if (opts.limits?.methods != null && obj.methods.length === opts.limits.methods) {
                throw new MaxLengthError('Decode error - repeated field "methods" had too many elements')
              }

              obj.methods.push(reader.string())
              break
            }
            case 4: {
              if (opts.limits?.protocols != null && obj.protocols.length === opts.limits.protocols) {
                throw new MaxLengthError('Decode error - repeated field "protocols" had too many elements')
              }

              obj.protocols.push(reader.string())
              break
            }
            case 5: {
              if (opts.limits?.carriers != null && obj.carriers.length === opts.limits.carriers) {
                throw new MaxLengthError('Decode error - repeated field "carriers" had too many elements')
              }

              obj.carriers.push(reader.string())
              break
            }
            case 6: {
              obj.mailboxPrice = reader.string()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const obj = {
          methods: 0,
          protocols: 0,
          carriers: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.version`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.address`,
                value: reader.string()
              }
              break
            }
            case 3: {
              if (opts.limits?.methods != null && obj.methods === opts.limits.methods) {
                throw new MaxLengthError('Streaming decode error - repeated field "methods" had too many elements')
              }

              yield {
                field: `${prefix}.methods[]`,
                index: obj.methods,
                value: reader.string()
              }

              obj.methods++

              break
            }
            case 4: {
              if (opts.limits?.protocols != null && obj.protocols === opts.limits.protocols) {
                throw new MaxLengthError('Streaming decode error - repeated field "protocols" had too many elements')
              }

              yield {
                field: `${prefix}.protocols[]`,
                index: obj.protocols,
                value: reader.string()
              }

              obj.protocols++

              break
            }
            case 5: {
              if (opts.limits?.carriers != null && obj.carriers === opts.limits.carriers) {
                throw new MaxLengthError('Streaming decode error - repeated field "carriers" had too many elements')
              }

              yield {
                field: `${prefix}.carriers[]`,
                index: obj.carriers,
                value: reader.string()
              }

              obj.carriers++

              break
            }
            case 6: {
              yield {
                field: `${prefix}.mailboxPrice`,
                value: reader.string()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface InfoVersionFieldEvent {
    field: '$.version'
    value: string
  }

  export interface InfoAddressFieldEvent {
    field: '$.address'
    value: string
  }

  export interface InfoMethodsFieldEvent {
    field: '$.methods[]'
    index: number
    value: string
  }

  export interface InfoProtocolsFieldEvent {
    field: '$.protocols[]'
    index: number
    value: string
  }

  export interface InfoCarriersFieldEvent {
    field: '$.carriers[]'
    index: number
    value: string
  }

  export interface InfoMailboxPriceFieldEvent {
    field: '$.mailboxPrice'
    value: string
  }

  export function encode (obj: Info): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Info.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Info>): Info {
    return decodeMessage(buf, Info.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Info>): Generator<InfoVersionFieldEvent | InfoAddressFieldEvent | InfoMethodsFieldEvent | InfoProtocolsFieldEvent | InfoCarriersFieldEvent | InfoMailboxPriceFieldEvent> {
    return streamMessage(buf, Info.codec(), opts)
  }
}
