import { createHash } from 'node:crypto'
import { privateKeyFromRaw } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'

/** The rewards vectors' keys (sha256 seeds) and chain id, shared by the rewards and postage vector specs. */
export const vectorKey = (name: string): PrivateKey => privateKeyFromRaw(new Uint8Array(createHash('sha256').update(`attn/1 rewards vectors: ${name}`).digest()))
export const VECTOR_CHAIN_ID = 31337
