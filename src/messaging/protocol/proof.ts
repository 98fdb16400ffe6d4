/**
 * "This node key speaks for this ATT address": shared by envelopes, receipts and group states,
 * which all carry `address | chain` and a signature by the node key.
 */
import { ChainKeyMismatchError, decodeChain, parseAttAddress, verifyChain } from '../../keys/index.js'
import type { PublicKey } from '@libp2p/interface'

/**
 * Verifies `chain` (keys' encodeChain) for `address` at `nowSeconds` and returns the node public
 * key it certifies (the root key itself for an empty chain). Throws whatever src/keys throws
 * (AttnError subclasses; ChainKeyMismatchError when the chain proves another address); callers wrap it.
 */
export function nodeKeyOf (address: string, chain: Uint8Array, nowSeconds: number): PublicKey {
  const certs = decodeChain(chain)
  const nodeKey = certs.length === 0 ? parseAttAddress(address) : certs[0].nodePublicKey
  const verified = verifyChain(chain, nodeKey, nowSeconds)
  if (verified.address !== address) throw new ChainKeyMismatchError(`the key chain proves ${verified.address}, not ${address}`)
  return verified.nodePublicKey
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000)
