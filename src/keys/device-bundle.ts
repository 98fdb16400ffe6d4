/**
 * Device bundles (`attn device export` → `attn init --import`): a fresh device (node) key certified
 * by the root key, sealed under a passphrase for the trip to a new machine. The bundle holds the
 * device key, its certificate, the identity address and the root PUBLIC key, never the root
 * private key (protocols/messaging.md §10.9).
 *
 * Sealing: scrypt(passphrase, salt, N, r=8, p=1) → 64 bytes (passphraseKey, the keystore's KDF); the first 32 are the AES-256-GCM key,
 * the last 32 key an HMAC-SHA256 whose first 16 bytes (`check`) tell a wrong passphrase
 * (BundleWrongPassphraseError) from a bundle altered after sealing (BundleCorruptError). The AAD is
 * the header (format, version, address, root key, certificate), so no clear field can be swapped.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { generateKeyPair, privateKeyFromRaw } from '@libp2p/crypto/keys'
import { aes256GcmOpen, aes256GcmSeal, GCM_IV_LENGTH, GCM_TAG_LENGTH, hmacSha256, secretKey } from '../crypto/index.js'
import { attAddress } from './address.js'
import { isHex, isScryptN, passphraseKey } from './passphrase-kdf.js'
import { decodeCertificate, encodeCertificate, issueCertificate, verifyCertificate } from './certificate.js'
import {
  DEVICE_BUNDLE_CHECK_LENGTH, DEVICE_BUNDLE_FORMAT, DEVICE_BUNDLE_VERSION, MAX_DEVICE_BUNDLE_BYTES,
  PRIVATE_KEY_LENGTH, SCRYPT_MAX_N, SCRYPT_N, SCRYPT_P, SCRYPT_R, SCRYPT_SALT_LENGTH
} from './constants.js'
import { BundleCorruptError, BundleWrongPassphraseError, PassphraseRequiredError } from './errors.js'
import type { PrivateKey, PublicKey } from '@libp2p/interface'

/** What a new device needs to run as a device of the identity. */
export interface DeviceBundleContents {
  /** ATT address of the identity. */
  address: string
  /** The root public key (the address's key). */
  rootPublicKey: PublicKey
  /** The new device's node (libp2p) key. */
  nodeKey: PrivateKey
  /** Encoded certificate: root key → nodeKey. */
  certificate: Uint8Array
}

interface BundleFile {
  format: string
  version: number
  address: string
  rootPublicKey: string
  certificate: string
  kdf: 'scrypt'
  N: number
  r: number
  p: number
  salt: string
  iv: string
  check: string
  ciphertext: string
}

function hex (b: Uint8Array): string {
  return Buffer.from(b).toString('hex')
}

function corrupt (what: string, cause?: unknown): BundleCorruptError {
  return new BundleCorruptError(`the device bundle is corrupt: ${what}`, cause === undefined ? undefined : { cause })
}

async function deriveKeys (passphrase: string, salt: Uint8Array, N: number, r: number, p: number): Promise<{ aead: Buffer, check: Buffer }> {
  const okm = await passphraseKey(passphrase, salt, N, r, p, 64)
  return { aead: okm.subarray(0, 32), check: okm.subarray(32) }
}

function checkValue (checkKey: Uint8Array): Buffer {
  return Buffer.from(hmacSha256(secretKey(checkKey), Buffer.from(`${DEVICE_BUNDLE_FORMAT} check`, 'utf8'))).subarray(0, DEVICE_BUNDLE_CHECK_LENGTH)
}

function headerAad (f: Pick<BundleFile, 'format' | 'version' | 'address' | 'rootPublicKey' | 'certificate'>): Buffer {
  return Buffer.from(`${f.format}:${f.version}:${f.address}:${f.rootPublicKey}:${f.certificate}`, 'utf8')
}

/** A fresh device key and its certificate by `rootKey` (the same certificate as `init --device-key`). */
export async function issueDeviceKey (rootKey: PrivateKey, options: { label?: string, now?: number } = {}): Promise<{ nodeKey: PrivateKey, certificate: Uint8Array }> {
  const nodeKey = await generateKeyPair('secp256k1')
  const certificate = encodeCertificate(issueCertificate(rootKey, nodeKey.publicKey, { now: options.now, label: options.label ?? '' }))
  return { nodeKey, certificate }
}

/** Seals `contents` under `passphrase`; returns the bundle file's text (JSON). */
export async function sealDeviceBundle (contents: DeviceBundleContents, passphrase: string, options: { scryptN?: number } = {}): Promise<string> {
  if (passphrase.length === 0) throw new PassphraseRequiredError('a device bundle needs a passphrase')
  const N = options.scryptN ?? SCRYPT_N
  const salt = randomBytes(SCRYPT_SALT_LENGTH)
  const iv = randomBytes(GCM_IV_LENGTH)
  const header = {
    format: DEVICE_BUNDLE_FORMAT,
    version: DEVICE_BUNDLE_VERSION,
    address: contents.address,
    rootPublicKey: hex(contents.rootPublicKey.raw),
    certificate: hex(contents.certificate)
  }
  const keys = await deriveKeys(passphrase, salt, N, SCRYPT_R, SCRYPT_P)
  const ciphertext = aes256GcmSeal(secretKey(keys.aead), iv, contents.nodeKey.raw, headerAad(header))
  const file: BundleFile = {
    ...header,
    kdf: 'scrypt',
    N,
    r: SCRYPT_R,
    p: SCRYPT_P,
    salt: hex(salt),
    iv: hex(iv),
    check: hex(checkValue(keys.check)),
    ciphertext: hex(ciphertext)
  }
  keys.aead.fill(0)
  keys.check.fill(0)
  return JSON.stringify(file, null, 2) + '\n'
}

function parseBundle (text: string): BundleFile {
  if (Buffer.byteLength(text, 'utf8') > MAX_DEVICE_BUNDLE_BYTES) throw corrupt(`larger than ${MAX_DEVICE_BUNDLE_BYTES} bytes`)
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (err) {
    throw corrupt('not JSON', err)
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw corrupt('not a JSON object')
  const f = json as Record<string, unknown>
  if (f.format !== DEVICE_BUNDLE_FORMAT) throw corrupt('not an attn device bundle')
  if (f.version !== DEVICE_BUNDLE_VERSION) throw corrupt(`unsupported version ${String(f.version)}`)
  if (typeof f.address !== 'string') throw corrupt('no address')
  if (!isHex(f.rootPublicKey) || f.rootPublicKey.length === 0) throw corrupt('bad root public key')
  if (!isHex(f.certificate) || f.certificate.length === 0) throw corrupt('bad certificate')
  if (f.kdf !== 'scrypt') throw corrupt('unknown kdf')
  const { N, r, p } = f
  if (!isScryptN(N, SCRYPT_MAX_N)) throw corrupt('bad scrypt N')
  if (r !== SCRYPT_R || p !== SCRYPT_P) throw corrupt('bad scrypt r or p')
  if (!isHex(f.salt, SCRYPT_SALT_LENGTH)) throw corrupt('bad salt')
  if (!isHex(f.iv, GCM_IV_LENGTH)) throw corrupt('bad iv')
  if (!isHex(f.check, DEVICE_BUNDLE_CHECK_LENGTH)) throw corrupt('bad check value')
  if (!isHex(f.ciphertext, PRIVATE_KEY_LENGTH + GCM_TAG_LENGTH)) throw corrupt('bad ciphertext')
  return f as unknown as BundleFile
}

/**
 * Opens a bundle: BundleWrongPassphraseError for another passphrase, BundleCorruptError for a
 * malformed or altered one (including a certificate that does not bind the key to the address).
 */
export async function openDeviceBundle (text: string, passphrase: string, options: { now?: number } = {}): Promise<DeviceBundleContents> {
  const f = parseBundle(text)
  if (passphrase.length === 0) throw new PassphraseRequiredError('the device bundle needs its passphrase')
  const keys = await deriveKeys(passphrase, Buffer.from(f.salt, 'hex'), f.N, f.r, f.p)
  let raw: Buffer
  try {
    if (!timingSafeEqual(checkValue(keys.check), Buffer.from(f.check, 'hex'))) throw new BundleWrongPassphraseError()
    try {
      raw = Buffer.from(aes256GcmOpen(secretKey(keys.aead), Buffer.from(f.iv, 'hex'), Buffer.from(f.ciphertext, 'hex'), headerAad(f)))
    } catch (err) {
      throw corrupt('altered after sealing (the passphrase is right)', err)
    }
  } finally {
    keys.aead.fill(0)
    keys.check.fill(0)
  }
  let nodeKey: PrivateKey
  try {
    nodeKey = privateKeyFromRaw(new Uint8Array(raw))
  } catch (err) {
    throw corrupt('the device key is not a valid key', err)
  } finally {
    raw.fill(0)
  }
  if (nodeKey.type !== 'secp256k1') throw corrupt('the device key is not secp256k1')
  const certificate = new Uint8Array(Buffer.from(f.certificate, 'hex'))
  let cert
  try {
    cert = decodeCertificate(certificate)
    verifyCertificate(cert, options.now ?? Math.floor(Date.now() / 1000))
  } catch (err: any) {
    throw corrupt(`the device certificate does not verify (${String(err.code ?? err.message)})`, err)
  }
  if (!cert.nodePublicKey.equals(nodeKey.publicKey)) throw corrupt('the certificate is for another key')
  if (hex(cert.rootPublicKey.raw) !== f.rootPublicKey || attAddress(cert.rootPublicKey) !== f.address) throw corrupt('the certificate is for another identity')
  return { address: f.address, rootPublicKey: cert.rootPublicKey, nodeKey, certificate }
}
