import { decodeMessage, encodeMessage, MaxLengthError, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface DirectoryRecord {
  version: number
  address: string
  rootPublicKey: Uint8Array<ArrayBuffer>
  seq: bigint
  expiresAt: bigint
  devices: DirectoryRecord.Device[]
  prekeys: DirectoryRecord.Prekey[]
  mailboxes: DirectoryRecord.Mailbox[]
  revocations?: DirectoryRecord.Revocations
  signerChain: Uint8Array<ArrayBuffer>
  signature: Uint8Array<ArrayBuffer>
}

export namespace DirectoryRecord {
  export interface Device {
    chain: Uint8Array<ArrayBuffer>
    nodeId: string
    multiaddrs: string[]
    identityKey: Uint8Array<ArrayBuffer>
    signedPrekey?: DirectoryRecord.SignedPrekey
    mailboxPrice: string
  }

  export namespace Device {
    let _codec: Codec<Device, Device>

    export const codec = (): Codec<Device, Device> => {
      if (_codec == null) {
        _codec = message<Device, Device>((obj, w, opts = {}) => {
          if (opts.lengthDelimited !== false) {
            w.fork()
          }

          if ((obj.chain != null && obj.chain.byteLength > 0)) {
            w.uint32(10)
            w.bytes(obj.chain)
          }

          if ((obj.nodeId != null && obj.nodeId !== '')) {
            w.uint32(18)
            w.string(obj.nodeId)
          }

          if (obj.multiaddrs != null && obj.multiaddrs.length > 0) {
            for (const value of obj.multiaddrs) {
              w.uint32(26)
              w.string(value)
            }
          }

          if ((obj.identityKey != null && obj.identityKey.byteLength > 0)) {
            w.uint32(34)
            w.bytes(obj.identityKey)
          }

          if (obj.signedPrekey != null) {
            w.uint32(42)
            DirectoryRecord.SignedPrekey.codec().encode(obj.signedPrekey, w)
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
            chain: uint8ArrayAlloc(0),
            nodeId: '',
            multiaddrs: [],
            identityKey: uint8ArrayAlloc(0),
            mailboxPrice: ''
          }

          const end = length == null ? reader.len : reader.pos + length

          while (reader.pos < end) {
            const tag = reader.uint32()

            switch (tag >>> 3) {
              case 1: {
                obj.chain = reader.bytes()
                break
              }
              case 2: {
                obj.nodeId = reader.string()
                break
              }
              case 3: {
                if (opts.limits?.multiaddrs != null && obj.multiaddrs.length === opts.limits.multiaddrs) {
                  throw new MaxLengthError('Decode error - repeated field "multiaddrs" had too many elements')
                }

                obj.multiaddrs.push(reader.string())
                break
              }
              case 4: {
                obj.identityKey = reader.bytes()
                break
              }
              case 5: {
                obj.signedPrekey = DirectoryRecord.SignedPrekey.codec().decode(reader, reader.uint32(), {
                  limits: opts.limits?.signedPrekey
                })
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
            multiaddrs: 0
          }

          const end = length == null ? reader.len : reader.pos + length

          while (reader.pos < end) {
            const tag = reader.uint32()

            switch (tag >>> 3) {
              case 1: {
                yield {
                  field: `${prefix}.chain`,
                  value: reader.bytes()
                }
                break
              }
              case 2: {
                yield {
                  field: `${prefix}.nodeId`,
                  value: reader.string()
                }
                break
              }
              case 3: {
                if (opts.limits?.multiaddrs != null && obj.multiaddrs === opts.limits.multiaddrs) {
                  throw new MaxLengthError('Streaming decode error - repeated field "multiaddrs" had too many elements')
                }

                yield {
                  field: `${prefix}.multiaddrs[]`,
                  index: obj.multiaddrs,
                  value: reader.string()
                }

                obj.multiaddrs++

                break
              }
              case 4: {
                yield {
                  field: `${prefix}.identityKey`,
                  value: reader.bytes()
                }
                break
              }
              case 5: {
                yield * DirectoryRecord.SignedPrekey.codec().stream(reader, reader.uint32(), `${prefix}.signedPrekey`, {
                  limits: opts.limits?.signedPrekey
                })

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

    export interface DeviceChainFieldEvent {
      field: '$.chain'
      value: Uint8Array<ArrayBuffer>
    }

    export interface DeviceNodeIdFieldEvent {
      field: '$.nodeId'
      value: string
    }

    export interface DeviceMultiaddrsFieldEvent {
      field: '$.multiaddrs[]'
      index: number
      value: string
    }

    export interface DeviceIdentityKeyFieldEvent {
      field: '$.identityKey'
      value: Uint8Array<ArrayBuffer>
    }

    export interface DeviceSignedPrekeyIdFieldEvent {
      field: '$.signedPrekey.id'
      value: number
    }

    export interface DeviceSignedPrekeyPublicKeyFieldEvent {
      field: '$.signedPrekey.publicKey'
      value: Uint8Array<ArrayBuffer>
    }

    export interface DeviceSignedPrekeyExpiresAtFieldEvent {
      field: '$.signedPrekey.expiresAt'
      value: bigint
    }

    export interface DeviceSignedPrekeySignatureFieldEvent {
      field: '$.signedPrekey.signature'
      value: Uint8Array<ArrayBuffer>
    }

    export interface DeviceMailboxPriceFieldEvent {
      field: '$.mailboxPrice'
      value: string
    }

    export function encode (obj: Device): Uint8Array<ArrayBuffer> {
      return encodeMessage(obj, Device.codec())
    }

    export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Device>): Device {
      return decodeMessage(buf, Device.codec(), opts)
    }

    export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Device>): Generator<DeviceChainFieldEvent | DeviceNodeIdFieldEvent | DeviceMultiaddrsFieldEvent | DeviceIdentityKeyFieldEvent | DeviceSignedPrekeyIdFieldEvent | DeviceSignedPrekeyPublicKeyFieldEvent | DeviceSignedPrekeyExpiresAtFieldEvent | DeviceSignedPrekeySignatureFieldEvent | DeviceMailboxPriceFieldEvent> {
      return streamMessage(buf, Device.codec(), opts)
    }
  }

  export interface SignedPrekey {
    id: number
    publicKey: Uint8Array<ArrayBuffer>
    expiresAt: bigint
    signature: Uint8Array<ArrayBuffer>
  }

  export namespace SignedPrekey {
    let _codec: Codec<SignedPrekey, SignedPrekey>

    export const codec = (): Codec<SignedPrekey, SignedPrekey> => {
      if (_codec == null) {
        _codec = message<SignedPrekey, SignedPrekey>((obj, w, opts = {}) => {
          if (opts.lengthDelimited !== false) {
            w.fork()
          }

          if ((obj.id != null && obj.id !== 0)) {
            w.uint32(8)
            w.uint32(obj.id)
          }

          if ((obj.publicKey != null && obj.publicKey.byteLength > 0)) {
            w.uint32(18)
            w.bytes(obj.publicKey)
          }

          if ((obj.expiresAt != null && obj.expiresAt !== 0n)) {
            w.uint32(24)
            w.uint64(obj.expiresAt)
          }

          if ((obj.signature != null && obj.signature.byteLength > 0)) {
            w.uint32(34)
            w.bytes(obj.signature)
          }

          if (opts.lengthDelimited !== false) {
            w.ldelim()
          }
        }, (reader, length, opts = {}) => {
          const obj: any = {
            id: 0,
            publicKey: uint8ArrayAlloc(0),
            expiresAt: 0n,
            signature: uint8ArrayAlloc(0)
          }

          const end = length == null ? reader.len : reader.pos + length

          while (reader.pos < end) {
            const tag = reader.uint32()

            switch (tag >>> 3) {
              case 1: {
                obj.id = reader.uint32()
                break
              }
              case 2: {
                obj.publicKey = reader.bytes()
                break
              }
              case 3: {
                obj.expiresAt = reader.uint64()
                break
              }
              case 4: {
                obj.signature = reader.bytes()
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
                  field: `${prefix}.id`,
                  value: reader.uint32()
                }
                break
              }
              case 2: {
                yield {
                  field: `${prefix}.publicKey`,
                  value: reader.bytes()
                }
                break
              }
              case 3: {
                yield {
                  field: `${prefix}.expiresAt`,
                  value: reader.uint64()
                }
                break
              }
              case 4: {
                yield {
                  field: `${prefix}.signature`,
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

    export interface SignedPrekeyIdFieldEvent {
      field: '$.id'
      value: number
    }

    export interface SignedPrekeyPublicKeyFieldEvent {
      field: '$.publicKey'
      value: Uint8Array<ArrayBuffer>
    }

    export interface SignedPrekeyExpiresAtFieldEvent {
      field: '$.expiresAt'
      value: bigint
    }

    export interface SignedPrekeySignatureFieldEvent {
      field: '$.signature'
      value: Uint8Array<ArrayBuffer>
    }

    export function encode (obj: SignedPrekey): Uint8Array<ArrayBuffer> {
      return encodeMessage(obj, SignedPrekey.codec())
    }

    export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SignedPrekey>): SignedPrekey {
      return decodeMessage(buf, SignedPrekey.codec(), opts)
    }

    export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SignedPrekey>): Generator<SignedPrekeyIdFieldEvent | SignedPrekeyPublicKeyFieldEvent | SignedPrekeyExpiresAtFieldEvent | SignedPrekeySignatureFieldEvent> {
      return streamMessage(buf, SignedPrekey.codec(), opts)
    }
  }

  export interface Prekey {
    publicKey: Uint8Array<ArrayBuffer>
    id: number
    expiresAt: bigint
  }

  export namespace Prekey {
    let _codec: Codec<Prekey, Prekey>

    export const codec = (): Codec<Prekey, Prekey> => {
      if (_codec == null) {
        _codec = message<Prekey, Prekey>((obj, w, opts = {}) => {
          if (opts.lengthDelimited !== false) {
            w.fork()
          }

          if ((obj.publicKey != null && obj.publicKey.byteLength > 0)) {
            w.uint32(10)
            w.bytes(obj.publicKey)
          }

          if ((obj.id != null && obj.id !== 0)) {
            w.uint32(16)
            w.uint32(obj.id)
          }

          if ((obj.expiresAt != null && obj.expiresAt !== 0n)) {
            w.uint32(24)
            w.uint64(obj.expiresAt)
          }

          if (opts.lengthDelimited !== false) {
            w.ldelim()
          }
        }, (reader, length, opts = {}) => {
          const obj: any = {
            publicKey: uint8ArrayAlloc(0),
            id: 0,
            expiresAt: 0n
          }

          const end = length == null ? reader.len : reader.pos + length

          while (reader.pos < end) {
            const tag = reader.uint32()

            switch (tag >>> 3) {
              case 1: {
                obj.publicKey = reader.bytes()
                break
              }
              case 2: {
                obj.id = reader.uint32()
                break
              }
              case 3: {
                obj.expiresAt = reader.uint64()
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
                  field: `${prefix}.publicKey`,
                  value: reader.bytes()
                }
                break
              }
              case 2: {
                yield {
                  field: `${prefix}.id`,
                  value: reader.uint32()
                }
                break
              }
              case 3: {
                yield {
                  field: `${prefix}.expiresAt`,
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

    export interface PrekeyPublicKeyFieldEvent {
      field: '$.publicKey'
      value: Uint8Array<ArrayBuffer>
    }

    export interface PrekeyIdFieldEvent {
      field: '$.id'
      value: number
    }

    export interface PrekeyExpiresAtFieldEvent {
      field: '$.expiresAt'
      value: bigint
    }

    export function encode (obj: Prekey): Uint8Array<ArrayBuffer> {
      return encodeMessage(obj, Prekey.codec())
    }

    export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Prekey>): Prekey {
      return decodeMessage(buf, Prekey.codec(), opts)
    }

    export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Prekey>): Generator<PrekeyPublicKeyFieldEvent | PrekeyIdFieldEvent | PrekeyExpiresAtFieldEvent> {
      return streamMessage(buf, Prekey.codec(), opts)
    }
  }

  export interface Revocations {
    seq: bigint
    nodeIds: string[]
    signature: Uint8Array<ArrayBuffer>
  }

  export namespace Revocations {
    let _codec: Codec<Revocations, Revocations>

    export const codec = (): Codec<Revocations, Revocations> => {
      if (_codec == null) {
        _codec = message<Revocations, Revocations>((obj, w, opts = {}) => {
          if (opts.lengthDelimited !== false) {
            w.fork()
          }

          if ((obj.seq != null && obj.seq !== 0n)) {
            w.uint32(8)
            w.uint64(obj.seq)
          }

          if (obj.nodeIds != null && obj.nodeIds.length > 0) {
            for (const value of obj.nodeIds) {
              w.uint32(18)
              w.string(value)
            }
          }

          if ((obj.signature != null && obj.signature.byteLength > 0)) {
            w.uint32(122)
            w.bytes(obj.signature)
          }

          if (opts.lengthDelimited !== false) {
            w.ldelim()
          }
        }, (reader, length, opts = {}) => {
          const obj: any = {
            seq: 0n,
            nodeIds: [],
            signature: uint8ArrayAlloc(0)
          }

          const end = length == null ? reader.len : reader.pos + length

          while (reader.pos < end) {
            const tag = reader.uint32()

            switch (tag >>> 3) {
              case 1: {
                obj.seq = reader.uint64()
                break
              }
              case 2: {
                if (opts.limits?.nodeIds != null && obj.nodeIds.length === opts.limits.nodeIds) {
                  throw new MaxLengthError('Decode error - repeated field "nodeIds" had too many elements')
                }

                obj.nodeIds.push(reader.string())
                break
              }
              case 15: {
                obj.signature = reader.bytes()
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
            nodeIds: 0
          }

          const end = length == null ? reader.len : reader.pos + length

          while (reader.pos < end) {
            const tag = reader.uint32()

            switch (tag >>> 3) {
              case 1: {
                yield {
                  field: `${prefix}.seq`,
                  value: reader.uint64()
                }
                break
              }
              case 2: {
                if (opts.limits?.nodeIds != null && obj.nodeIds === opts.limits.nodeIds) {
                  throw new MaxLengthError('Streaming decode error - repeated field "nodeIds" had too many elements')
                }

                yield {
                  field: `${prefix}.nodeIds[]`,
                  index: obj.nodeIds,
                  value: reader.string()
                }

                obj.nodeIds++

                break
              }
              case 15: {
                yield {
                  field: `${prefix}.signature`,
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

    export interface RevocationsSeqFieldEvent {
      field: '$.seq'
      value: bigint
    }

    export interface RevocationsNodeIdsFieldEvent {
      field: '$.nodeIds[]'
      index: number
      value: string
    }

    export interface RevocationsSignatureFieldEvent {
      field: '$.signature'
      value: Uint8Array<ArrayBuffer>
    }

    export function encode (obj: Revocations): Uint8Array<ArrayBuffer> {
      return encodeMessage(obj, Revocations.codec())
    }

    export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Revocations>): Revocations {
      return decodeMessage(buf, Revocations.codec(), opts)
    }

    export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Revocations>): Generator<RevocationsSeqFieldEvent | RevocationsNodeIdsFieldEvent | RevocationsSignatureFieldEvent> {
      return streamMessage(buf, Revocations.codec(), opts)
    }
  }

  export interface Mailbox {
    peerId: string
    multiaddrs: string[]
  }

  export namespace Mailbox {
    let _codec: Codec<Mailbox, Mailbox>

    export const codec = (): Codec<Mailbox, Mailbox> => {
      if (_codec == null) {
        _codec = message<Mailbox, Mailbox>((obj, w, opts = {}) => {
          if (opts.lengthDelimited !== false) {
            w.fork()
          }

          if ((obj.peerId != null && obj.peerId !== '')) {
            w.uint32(10)
            w.string(obj.peerId)
          }

          if (obj.multiaddrs != null && obj.multiaddrs.length > 0) {
            for (const value of obj.multiaddrs) {
              w.uint32(18)
              w.string(value)
            }
          }

          if (opts.lengthDelimited !== false) {
            w.ldelim()
          }
        }, (reader, length, opts = {}) => {
          const obj: any = {
            peerId: '',
            multiaddrs: []
          }

          const end = length == null ? reader.len : reader.pos + length

          while (reader.pos < end) {
            const tag = reader.uint32()

            switch (tag >>> 3) {
              case 1: {
                obj.peerId = reader.string()
                break
              }
              case 2: {
                if (opts.limits?.multiaddrs != null && obj.multiaddrs.length === opts.limits.multiaddrs) {
                  throw new MaxLengthError('Decode error - repeated field "multiaddrs" had too many elements')
                }

                obj.multiaddrs.push(reader.string())
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
            multiaddrs: 0
          }

          const end = length == null ? reader.len : reader.pos + length

          while (reader.pos < end) {
            const tag = reader.uint32()

            switch (tag >>> 3) {
              case 1: {
                yield {
                  field: `${prefix}.peerId`,
                  value: reader.string()
                }
                break
              }
              case 2: {
                if (opts.limits?.multiaddrs != null && obj.multiaddrs === opts.limits.multiaddrs) {
                  throw new MaxLengthError('Streaming decode error - repeated field "multiaddrs" had too many elements')
                }

                yield {
                  field: `${prefix}.multiaddrs[]`,
                  index: obj.multiaddrs,
                  value: reader.string()
                }

                obj.multiaddrs++

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

    export interface MailboxPeerIdFieldEvent {
      field: '$.peerId'
      value: string
    }

    export interface MailboxMultiaddrsFieldEvent {
      field: '$.multiaddrs[]'
      index: number
      value: string
    }

    export function encode (obj: Mailbox): Uint8Array<ArrayBuffer> {
      return encodeMessage(obj, Mailbox.codec())
    }

    export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Mailbox>): Mailbox {
      return decodeMessage(buf, Mailbox.codec(), opts)
    }

    export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Mailbox>): Generator<MailboxPeerIdFieldEvent | MailboxMultiaddrsFieldEvent> {
      return streamMessage(buf, Mailbox.codec(), opts)
    }
  }

  let _codec: Codec<DirectoryRecord, DirectoryRecord>

  export const codec = (): Codec<DirectoryRecord, DirectoryRecord> => {
    if (_codec == null) {
      _codec = message<DirectoryRecord, DirectoryRecord>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.version != null && obj.version !== 0)) {
          w.uint32(8)
          w.uint32(obj.version)
        }

        if ((obj.address != null && obj.address !== '')) {
          w.uint32(18)
          w.string(obj.address)
        }

        if ((obj.rootPublicKey != null && obj.rootPublicKey.byteLength > 0)) {
          w.uint32(26)
          w.bytes(obj.rootPublicKey)
        }

        if ((obj.seq != null && obj.seq !== 0n)) {
          w.uint32(32)
          w.uint64(obj.seq)
        }

        if ((obj.expiresAt != null && obj.expiresAt !== 0n)) {
          w.uint32(40)
          w.uint64(obj.expiresAt)
        }

        if (obj.devices != null && obj.devices.length > 0) {
          for (const value of obj.devices) {
            w.uint32(50)
            DirectoryRecord.Device.codec().encode(value, w)
          }
        }

        if (obj.prekeys != null && obj.prekeys.length > 0) {
          for (const value of obj.prekeys) {
            w.uint32(58)
            DirectoryRecord.Prekey.codec().encode(value, w)
          }
        }

        if (obj.mailboxes != null && obj.mailboxes.length > 0) {
          for (const value of obj.mailboxes) {
            w.uint32(66)
            DirectoryRecord.Mailbox.codec().encode(value, w)
          }
        }

        if (obj.revocations != null) {
          w.uint32(74)
          DirectoryRecord.Revocations.codec().encode(obj.revocations, w)
        }

        if ((obj.signerChain != null && obj.signerChain.byteLength > 0)) {
          w.uint32(82)
          w.bytes(obj.signerChain)
        }

        if ((obj.signature != null && obj.signature.byteLength > 0)) {
          w.uint32(122)
          w.bytes(obj.signature)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          version: 0,
          address: '',
          rootPublicKey: uint8ArrayAlloc(0),
          seq: 0n,
          expiresAt: 0n,
          devices: [],
          prekeys: [],
          mailboxes: [],
          signerChain: uint8ArrayAlloc(0),
          signature: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.version = reader.uint32()
              break
            }
            case 2: {
              obj.address = reader.string()
              break
            }
            case 3: {
              obj.rootPublicKey = reader.bytes()
              break
            }
            case 4: {
              obj.seq = reader.uint64()
              break
            }
            case 5: {
              obj.expiresAt = reader.uint64()
              break
            }
            case 6: {
              if (opts.limits?.devices != null && obj.devices.length === opts.limits.devices) {
                throw new MaxLengthError('Decode error - repeated field "devices" had too many elements')
              }

              obj.devices.push(DirectoryRecord.Device.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.devices$
              }))
              break
            }
            case 7: {
              if (opts.limits?.prekeys != null && obj.prekeys.length === opts.limits.prekeys) {
                throw new MaxLengthError('Decode error - repeated field "prekeys" had too many elements')
              }

              obj.prekeys.push(DirectoryRecord.Prekey.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.prekeys$
              }))
              break
            }
            case 8: {
              if (opts.limits?.mailboxes != null && obj.mailboxes.length === opts.limits.mailboxes) {
                throw new MaxLengthError('Decode error - repeated field "mailboxes" had too many elements')
              }

              obj.mailboxes.push(DirectoryRecord.Mailbox.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.mailboxes$
              }))
              break
            }
            case 9: {
              obj.revocations = DirectoryRecord.Revocations.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.revocations
              })
              break
            }
            case 10: {
              obj.signerChain = reader.bytes()
              break
            }
            case 15: {
              obj.signature = reader.bytes()
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
          devices: 0,
          prekeys: 0,
          mailboxes: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.version`,
                value: reader.uint32()
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
              yield {
                field: `${prefix}.rootPublicKey`,
                value: reader.bytes()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.seq`,
                value: reader.uint64()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.expiresAt`,
                value: reader.uint64()
              }
              break
            }
            case 6: {
              if (opts.limits?.devices != null && obj.devices === opts.limits.devices) {
                throw new MaxLengthError('Streaming decode error - repeated field "devices" had too many elements')
              }

              for (const evt of DirectoryRecord.Device.codec().stream(reader, reader.uint32(), `${prefix}.devices[]`, {
                limits: opts.limits?.devices$
              })) {
                yield {
                  ...evt,
                  index: obj.devices
                }
              }

              obj.devices++

              break
            }
            case 7: {
              if (opts.limits?.prekeys != null && obj.prekeys === opts.limits.prekeys) {
                throw new MaxLengthError('Streaming decode error - repeated field "prekeys" had too many elements')
              }

              for (const evt of DirectoryRecord.Prekey.codec().stream(reader, reader.uint32(), `${prefix}.prekeys[]`, {
                limits: opts.limits?.prekeys$
              })) {
                yield {
                  ...evt,
                  index: obj.prekeys
                }
              }

              obj.prekeys++

              break
            }
            case 8: {
              if (opts.limits?.mailboxes != null && obj.mailboxes === opts.limits.mailboxes) {
                throw new MaxLengthError('Streaming decode error - repeated field "mailboxes" had too many elements')
              }

              for (const evt of DirectoryRecord.Mailbox.codec().stream(reader, reader.uint32(), `${prefix}.mailboxes[]`, {
                limits: opts.limits?.mailboxes$
              })) {
                yield {
                  ...evt,
                  index: obj.mailboxes
                }
              }

              obj.mailboxes++

              break
            }
            case 9: {
              yield * DirectoryRecord.Revocations.codec().stream(reader, reader.uint32(), `${prefix}.revocations`, {
                limits: opts.limits?.revocations
              })

              break
            }
            case 10: {
              yield {
                field: `${prefix}.signerChain`,
                value: reader.bytes()
              }
              break
            }
            case 15: {
              yield {
                field: `${prefix}.signature`,
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

  export interface DirectoryRecordVersionFieldEvent {
    field: '$.version'
    value: number
  }

  export interface DirectoryRecordAddressFieldEvent {
    field: '$.address'
    value: string
  }

  export interface DirectoryRecordRootPublicKeyFieldEvent {
    field: '$.rootPublicKey'
    value: Uint8Array<ArrayBuffer>
  }

  export interface DirectoryRecordSeqFieldEvent {
    field: '$.seq'
    value: bigint
  }

  export interface DirectoryRecordExpiresAtFieldEvent {
    field: '$.expiresAt'
    value: bigint
  }

  export interface DirectoryRecordDevicesChainFieldEvent {
    field: '$.devices[].chain'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface DirectoryRecordDevicesNodeIdFieldEvent {
    field: '$.devices[].nodeId'
    value: string
    index: number
  }

  export interface DirectoryRecordDevicesMultiaddrsFieldEvent {
    field: '$.devices[].multiaddrs[]'
    index: number
    value: string
  }

  export interface DirectoryRecordDevicesIdentityKeyFieldEvent {
    field: '$.devices[].identityKey'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface DirectoryRecordDevicesSignedPrekeyIdFieldEvent {
    field: '$.devices[].signedPrekey.id'
    value: number
    index: number
  }

  export interface DirectoryRecordDevicesSignedPrekeyPublicKeyFieldEvent {
    field: '$.devices[].signedPrekey.publicKey'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface DirectoryRecordDevicesSignedPrekeyExpiresAtFieldEvent {
    field: '$.devices[].signedPrekey.expiresAt'
    value: bigint
    index: number
  }

  export interface DirectoryRecordDevicesSignedPrekeySignatureFieldEvent {
    field: '$.devices[].signedPrekey.signature'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface DirectoryRecordDevicesMailboxPriceFieldEvent {
    field: '$.devices[].mailboxPrice'
    value: string
    index: number
  }

  export interface DirectoryRecordPrekeysPublicKeyFieldEvent {
    field: '$.prekeys[].publicKey'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface DirectoryRecordPrekeysIdFieldEvent {
    field: '$.prekeys[].id'
    value: number
    index: number
  }

  export interface DirectoryRecordPrekeysExpiresAtFieldEvent {
    field: '$.prekeys[].expiresAt'
    value: bigint
    index: number
  }

  export interface DirectoryRecordMailboxesPeerIdFieldEvent {
    field: '$.mailboxes[].peerId'
    value: string
    index: number
  }

  export interface DirectoryRecordMailboxesMultiaddrsFieldEvent {
    field: '$.mailboxes[].multiaddrs[]'
    index: number
    value: string
  }

  export interface DirectoryRecordRevocationsSeqFieldEvent {
    field: '$.revocations.seq'
    value: bigint
  }

  export interface DirectoryRecordRevocationsNodeIdsFieldEvent {
    field: '$.revocations.nodeIds[]'
    index: number
    value: string
  }

  export interface DirectoryRecordRevocationsSignatureFieldEvent {
    field: '$.revocations.signature'
    value: Uint8Array<ArrayBuffer>
  }

  export interface DirectoryRecordSignerChainFieldEvent {
    field: '$.signerChain'
    value: Uint8Array<ArrayBuffer>
  }

  export interface DirectoryRecordSignatureFieldEvent {
    field: '$.signature'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: DirectoryRecord): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, DirectoryRecord.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<DirectoryRecord>): DirectoryRecord {
    return decodeMessage(buf, DirectoryRecord.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<DirectoryRecord>): Generator<DirectoryRecordVersionFieldEvent | DirectoryRecordAddressFieldEvent | DirectoryRecordRootPublicKeyFieldEvent | DirectoryRecordSeqFieldEvent | DirectoryRecordExpiresAtFieldEvent | DirectoryRecordDevicesChainFieldEvent | DirectoryRecordDevicesNodeIdFieldEvent | DirectoryRecordDevicesMultiaddrsFieldEvent | DirectoryRecordDevicesIdentityKeyFieldEvent | DirectoryRecordDevicesSignedPrekeyIdFieldEvent | DirectoryRecordDevicesSignedPrekeyPublicKeyFieldEvent | DirectoryRecordDevicesSignedPrekeyExpiresAtFieldEvent | DirectoryRecordDevicesSignedPrekeySignatureFieldEvent | DirectoryRecordDevicesMailboxPriceFieldEvent | DirectoryRecordPrekeysPublicKeyFieldEvent | DirectoryRecordPrekeysIdFieldEvent | DirectoryRecordPrekeysExpiresAtFieldEvent | DirectoryRecordMailboxesPeerIdFieldEvent | DirectoryRecordMailboxesMultiaddrsFieldEvent | DirectoryRecordRevocationsSeqFieldEvent | DirectoryRecordRevocationsNodeIdsFieldEvent | DirectoryRecordRevocationsSignatureFieldEvent | DirectoryRecordSignerChainFieldEvent | DirectoryRecordSignatureFieldEvent> {
    return streamMessage(buf, DirectoryRecord.codec(), opts)
  }
}
