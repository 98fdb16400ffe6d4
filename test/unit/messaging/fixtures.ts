/** Deterministic identities for the messaging tests and vectors. */
import { createHash } from 'node:crypto'
import { privateKeyFromRaw } from '@libp2p/crypto/keys'
import { attAddress, encodeCertificate, encodeChain, issueCertificate } from '../../../src/keys/index.js'
import type { RootIdentity } from '../../../src/keys/index.js'
import type { PrivateKey } from '@libp2p/interface'

export const NOW = 1_767_225_600 // 2026-01-01T00:00:00Z, unix seconds
export const NOW_MS = NOW * 1000

export const seedBytes = (seed: string): Uint8Array => new Uint8Array(createHash('sha256').update(seed).digest())
export const keyFrom = (seed: string): PrivateKey => privateKeyFromRaw(seedBytes(seed))
export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
export const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'))

/** An identity with a device key certified at NOW (or running on its root key when `device` is false). */
export function identity (name: string, device = true): RootIdentity {
  const rootKey = keyFrom(`attn/1 messaging vectors: ${name} root`)
  const address = attAddress(rootKey.publicKey)
  if (!device) return { address, rootKey, nodeKey: rootKey, chain: encodeChain([]) }
  const nodeKey = keyFrom(`attn/1 messaging vectors: ${name} node`)
  const certificate = encodeCertificate(issueCertificate(rootKey, nodeKey.publicKey, { now: NOW, label: name }))
  return { address, rootKey, nodeKey, certificate, chain: encodeChain([certificate]) }
}

export function indexOf (haystack: Uint8Array, needle: Uint8Array): number {
  return Buffer.from(haystack).indexOf(Buffer.from(needle))
}
