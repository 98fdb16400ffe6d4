import { generateKeyPair } from '@libp2p/crypto/keys'
import { attAddress, encodeCertificate, encodeChain, issueCertificate } from '../../src/keys/index.js'
import type { RootIdentity, IssueCertificateOptions } from '../../src/keys/index.js'
import type { PrivateKey } from '@libp2p/interface'

/** An identity that runs on its root key (empty chain). */
export async function rootIdentity (rootKey?: PrivateKey): Promise<RootIdentity> {
  const key = rootKey ?? await generateKeyPair('secp256k1')
  return { address: attAddress(key.publicKey), rootKey: key, nodeKey: key, chain: encodeChain([]) }
}

/** A device identity: a fresh node key certified by `rootKey`. */
export async function deviceIdentity (rootKey: PrivateKey, cert: IssueCertificateOptions = {}): Promise<RootIdentity> {
  const nodeKey = await generateKeyPair('secp256k1')
  const certificate = encodeCertificate(issueCertificate(rootKey, nodeKey.publicKey, cert))
  return { address: attAddress(rootKey.publicKey), rootKey, nodeKey, certificate, chain: encodeChain([certificate]) }
}
