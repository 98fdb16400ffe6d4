/**
 * ATT identities (protocols/attnproto.md Part 1): the root key and its ATT address, the one
 * signature scheme, node/device certificates and key chains, and the keystore at rest.
 *
 * @example
 * ```ts
 * import { loadOrCreateIdentity, verifyChain } from './keys/index.js'
 *
 * const { identity } = await loadOrCreateIdentity(process.env.ATTN_HOME ?? `${homedir()}/.attn`, {
 *   passphrase: process.env.ATTN_PASSPHRASE, deviceKey: true
 * })
 * // libp2p runs on identity.nodeKey; the handshake sends identity.chain and a peer checks it with
 * const { address } = verifyChain(identity.chain, identity.nodeKey.publicKey, Math.floor(Date.now() / 1000))
 * ```
 */
export { attAddress, parseAttAddress, evmAddress } from './address.js'
export { sign, verify, signatureDigest } from './signature.js'
export { issueCertificate, encodeCertificate, decodeCertificate, verifyCertificate } from './certificate.js'
export type { Certificate, IssueCertificateOptions, VerifyCertificateOptions } from './certificate.js'
export { encodeChain, decodeChain, verifyChain } from './chain.js'
export type { VerifiedChain } from './chain.js'
export { createIdentity, loadIdentity, loadOrCreateIdentity, loadNodeIdentity, identityExists, changePassphrase, importDeviceIdentity, loadDeviceIdentity } from './keystore.js'
export { issueDeviceKey, sealDeviceBundle, openDeviceBundle } from './device-bundle.js'
export type { DeviceBundleContents } from './device-bundle.js'
export type { Identity, RootIdentity, LinkedDeviceIdentity, LoadIdentityOptions, CreateIdentityOptions } from './keystore.js'
export {
  SIGNATURE_PREFIX, DOMAIN_CERT, DOMAIN_HANDSHAKE, DOMAIN_DIRECTORY, DOMAIN_DIRECTORY_REVOCATIONS, DOMAIN_ENVELOPE, DOMAIN_RECEIPT,
  DOMAIN_GROUP, DOMAIN_GROUP_MESSAGE, DOMAIN_REWARD, DOMAIN_PREKEY, SIGNATURE_LENGTH,
  PUBLIC_KEY_LENGTH, CERT_VERSION, MAX_LABEL_BYTES, MAX_CERT_VALIDITY_SECONDS, CLOCK_SKEW_SECONDS,
  MAX_CHAIN_CERTIFICATES, CERT_RENEW_BEFORE_SECONDS, IDENTITY_FILE, SCRYPT_N
} from './constants.js'
export {
  InvalidAddressError, InvalidKeyError, InvalidSignatureDomainError, MalformedCertificateError,
  UnsupportedCertificateVersionError, CertificateBadSignatureError, CertificateValidityTooLongError,
  CertificateNotYetValidError, CertificateExpiredError, ChainKeyMismatchError, ChainTooLongError,
  PassphraseRequiredError, WrongPassphraseError, KeystoreCorruptError, InsecureKeyRefusedError,
  IdentityExistsError, IdentityNotFoundError, BundleWrongPassphraseError, BundleCorruptError, RootKeyRequiredError
} from './errors.js'
