import { randomBytes } from 'node:crypto'
import { aes256GcmOpen, aes256GcmSeal, GCM_IV_LENGTH, GCM_TAG_LENGTH, secretKey } from '../crypto/index.js'
import { link, mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises'
import { hostname } from 'node:os'
import { dirname, join } from 'node:path'
import { generateKeyPair, privateKeyFromRaw } from '@libp2p/crypto/keys'
import { attAddress } from './address.js'
import { certificateSignedBytes, decodeCertificate, encodeCertificate, issueCertificate } from './certificate.js'
import { encodeChain } from './chain.js'
import {
  CERT_RENEW_BEFORE_SECONDS, DOMAIN_CERT, IDENTITY_FILE, KEYSTORE_VERSION,
  MAX_LABEL_BYTES, PRIVATE_KEY_LENGTH, SCRYPT_MAX_N, SCRYPT_MAX_P, SCRYPT_MAX_R, SCRYPT_N, SCRYPT_P, SCRYPT_R,
  SCRYPT_SALT_LENGTH
} from './constants.js'
import {
  IdentityExistsError, IdentityNotFoundError, InsecureKeyRefusedError, InvalidKeyError, KeystoreCorruptError,
  PassphraseRequiredError, RootKeyRequiredError, WrongPassphraseError
} from './errors.js'
import { verify } from './signature.js'
import { isHex, isScryptN, passphraseKey } from './passphrase-kdf.js'
import type { PrivateKey, PublicKey } from '@libp2p/interface'

/** A loaded identity: what a node needs to run and to prove who it is. */
export interface Identity {
  /** ATT address of the root key. */
  address: string
  /** The root private key; absent on a linked device (`attn init --import`), which signs with nodeKey + chain. */
  rootKey?: PrivateKey
  /** The key the node runs on (libp2p `privateKey`, handshake signatures); === rootKey without a device key. */
  nodeKey: PrivateKey
  /** Encoded device certificate (root → nodeKey), when nodeKey is not the root key. */
  certificate?: Uint8Array
  /** encodeChain([certificate]) or encodeChain([]): what the handshake sends. */
  chain: Uint8Array
}

/** An identity whose home holds the root private key. */
export type RootIdentity = Identity & { rootKey: PrivateKey }

/** A linked device's identity (`attn init --import`): its certified device key, no root private key. */
export type LinkedDeviceIdentity = Omit<Identity, 'rootKey'> & { rootPublicKey: PublicKey, certificate: Uint8Array }

export interface LoadIdentityOptions {
  /** Passphrase of an encrypted keystore (the CLI reads ATTN_PASSPHRASE). Normalised to NFC. */
  passphrase?: string
  /** Allow an unencrypted keystore (development only; the CLI's --insecure-dev-key). */
  insecureDevKey?: boolean
  /** Current time in unix seconds, for the renewal decision. Default: the system clock. */
  now?: number
}

export interface CreateIdentityOptions extends LoadIdentityOptions {
  /** Also generate a device (node) key certified by the root key, so the root key is not used online. */
  deviceKey?: boolean
  /** Device label written in the certificate. Default: the host name (cut to 64 UTF-8 bytes). */
  label?: string
  /** FOR TESTS ONLY: scrypt cost N (power of two). The default, 2^15, must be kept in production. */
  scryptN?: number
}

interface EncryptedKeyBlob {
  kdf: 'scrypt'
  N: number
  r: number
  p: number
  salt: string
  cipher: 'aes-256-gcm'
  iv: string
  ciphertext: string
}

interface PlainKeyBlob {
  cipher: 'none'
  privateKey: string
}

type KeyBlob = EncryptedKeyBlob | PlainKeyBlob

interface IdentityFile {
  version: number
  address: string
  /** Absent on a linked device: then rootPublicKey, node and certificate are present. */
  root?: KeyBlob
  /** Hex of the root public key, on a linked device only. */
  rootPublicKey?: string
  node?: KeyBlob
  certificate?: string
}

type KeyRole = 'root' | 'node'

function nowSeconds (): number {
  return Math.floor(Date.now() / 1000)
}

function identityPath (home: string): string {
  return join(home, IDENTITY_FILE)
}

function hasPassphrase (passphrase: string | undefined): passphrase is string {
  return typeof passphrase === 'string' && passphrase.length > 0
}

/** Reads and parses identity.json: ERR_IDENTITY_NOT_FOUND when it is missing, ERR_KEYSTORE_CORRUPT when malformed. */
async function readIdentityFile (path: string): Promise<IdentityFile> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err: any) {
    if (err?.code === 'ENOENT') throw new IdentityNotFoundError(`no identity at ${path}`)
    throw err
  }
  return parseIdentityFile(text)
}

/** Binds a blob to its identity and role, so blobs cannot be swapped between files or between root and node. */
function blobAad (address: string, role: KeyRole): Buffer {
  return Buffer.from(`${address}:${role}`, 'utf8')
}

async function scrypt (passphrase: string, salt: Uint8Array, N: number, r: number, p: number): Promise<Buffer> {
  return await passphraseKey(passphrase, salt, N, r, p, 32)
}

async function encryptKey (key: PrivateKey, passphrase: string, address: string, role: KeyRole, N: number): Promise<EncryptedKeyBlob> {
  const salt = randomBytes(SCRYPT_SALT_LENGTH)
  const iv = randomBytes(GCM_IV_LENGTH)
  const kek = await scrypt(passphrase, salt, N, SCRYPT_R, SCRYPT_P)
  const ciphertext = Buffer.from(aes256GcmSeal(secretKey(kek), iv, key.raw, blobAad(address, role)))
  kek.fill(0)
  return {
    kdf: 'scrypt',
    N,
    r: SCRYPT_R,
    p: SCRYPT_P,
    salt: salt.toString('hex'),
    cipher: 'aes-256-gcm',
    iv: iv.toString('hex'),
    ciphertext: ciphertext.toString('hex')
  }
}

function plainKey (key: PrivateKey): PlainKeyBlob {
  return { cipher: 'none', privateKey: Buffer.from(key.raw).toString('hex') }
}

function corrupt (what: string, cause?: unknown): KeystoreCorruptError {
  return new KeystoreCorruptError(`the keystore is corrupt: ${what}`, cause === undefined ? undefined : { cause })
}


function checkBlob (blob: unknown, role: KeyRole): KeyBlob {
  if (typeof blob !== 'object' || blob === null || Array.isArray(blob)) throw corrupt(`${role} key is not an object`)
  const b = blob as Record<string, unknown>
  if (b.cipher === 'none') {
    if (!isHex(b.privateKey, PRIVATE_KEY_LENGTH)) throw corrupt(`${role} key is not ${PRIVATE_KEY_LENGTH} hex bytes`)
    return { cipher: 'none', privateKey: b.privateKey }
  }
  if (b.cipher !== 'aes-256-gcm' || b.kdf !== 'scrypt') throw corrupt(`${role} key uses an unknown cipher or kdf`)
  const { N, r, p } = b
  if (!isScryptN(N, SCRYPT_MAX_N)) throw corrupt(`${role} key has a bad scrypt N`)
  if (typeof r !== 'number' || !Number.isSafeInteger(r) || r < 1 || r > SCRYPT_MAX_R) throw corrupt(`${role} key has a bad scrypt r`)
  if (typeof p !== 'number' || !Number.isSafeInteger(p) || p < 1 || p > SCRYPT_MAX_P) throw corrupt(`${role} key has a bad scrypt p`)
  if (!isHex(b.salt) || b.salt.length < 16) throw corrupt(`${role} key has a bad salt`)
  if (!isHex(b.iv, GCM_IV_LENGTH)) throw corrupt(`${role} key has a bad iv`)
  if (!isHex(b.ciphertext, PRIVATE_KEY_LENGTH + GCM_TAG_LENGTH)) throw corrupt(`${role} key has a bad ciphertext`)
  return { kdf: 'scrypt', N, r, p, salt: b.salt, cipher: 'aes-256-gcm', iv: b.iv, ciphertext: b.ciphertext }
}

function parseIdentityFile (text: string): IdentityFile {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (err) {
    throw corrupt('not JSON', err)
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw corrupt('not a JSON object')
  const f = json as Record<string, unknown>
  if (f.version !== KEYSTORE_VERSION) throw corrupt(`unsupported version ${String(f.version)}`)
  if (typeof f.address !== 'string') throw corrupt('no address')
  const hasNode = f.node !== undefined
  if (hasNode !== (f.certificate !== undefined)) throw corrupt('a device key and its certificate must come together')
  if (f.root === undefined) {
    // a linked device: no root private key, the root public key in clear
    if (!hasNode) throw corrupt('neither a root key nor a device key')
    if (!isHex(f.rootPublicKey) || f.rootPublicKey.length === 0) throw corrupt('a linked device needs the root public key')
  } else if (f.rootPublicKey !== undefined) {
    throw corrupt('a root key and a separate root public key')
  }
  const root = f.root === undefined ? undefined : checkBlob(f.root, 'root')
  const file: IdentityFile = { version: KEYSTORE_VERSION, address: f.address }
  if (root != null) file.root = root
  else file.rootPublicKey = f.rootPublicKey as string
  if (hasNode) {
    file.node = checkBlob(f.node, 'node')
    if (root != null && file.node.cipher !== root.cipher) throw corrupt('root and node keys are not protected the same way')
    if (!isHex(f.certificate) || f.certificate.length === 0) throw corrupt('the certificate is not hex')
    file.certificate = f.certificate
  }
  return file
}

async function openKey (blob: KeyBlob, address: string, role: KeyRole, options: LoadIdentityOptions): Promise<PrivateKey> {
  let raw: Buffer
  if (blob.cipher === 'none') {
    if (options.insecureDevKey !== true) throw new InsecureKeyRefusedError()
    raw = Buffer.from(blob.privateKey, 'hex')
  } else {
    if (!hasPassphrase(options.passphrase)) throw new PassphraseRequiredError()
    const kek = await scrypt(options.passphrase, Buffer.from(blob.salt, 'hex'), blob.N, blob.r, blob.p)
    const data = Buffer.from(blob.ciphertext, 'hex')
    try {
      raw = Buffer.from(aes256GcmOpen(secretKey(kek), Buffer.from(blob.iv, 'hex'), data, blobAad(address, role)))
    } catch {
      throw new WrongPassphraseError()
    } finally {
      kek.fill(0)
    }
  }
  try {
    const key = privateKeyFromRaw(new Uint8Array(raw))
    if (key.type !== 'secp256k1') throw new InvalidKeyError(`unexpected key type ${key.type}`)
    return key
  } catch (err) {
    throw corrupt(`${role} key is not a valid secp256k1 key`, err)
  } finally {
    raw.fill(0)
  }
}

/** Writes `data` to `path` through a 0600 temp file + fsync + rename (or link when it must not exist). */
async function writeFileAtomic (path: string, data: string, exclusive: boolean): Promise<void> {
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`
  const fh = await open(tmp, 'wx', 0o600)
  try {
    await fh.chmod(0o600)
    await fh.writeFile(data, 'utf8')
    await fh.sync()
  } finally {
    await fh.close()
  }
  try {
    if (exclusive) {
      try {
        await link(tmp, path)
      } catch (err: any) {
        if (err?.code === 'EEXIST') throw new IdentityExistsError(`an identity already exists at ${path}`)
        throw err
      }
    } else {
      await rename(tmp, path)
    }
  } finally {
    // After link the temp name is redundant; after a successful rename it no longer exists.
    await unlink(tmp).catch((err: NodeJS.ErrnoException) => { if (err.code !== 'ENOENT') throw err })
  }
  // Persist the directory entry too (best effort: not every platform can fsync a directory).
  const dir = await open(dirname(path), 'r').catch(() => undefined)
  try {
    await dir?.sync()
  } catch {
  } finally {
    await dir?.close()
  }
}

function defaultLabel (): string {
  let label = ''
  for (const ch of hostname()) {
    if (Buffer.byteLength(label + ch, 'utf8') > MAX_LABEL_BYTES) break
    label += ch
  }
  return label
}

/** True when `home` holds an identity file (whether or not it can be opened). */
export async function identityExists (home: string): Promise<boolean> {
  try {
    await stat(identityPath(home))
    return true
  } catch (err: any) {
    if (err?.code === 'ENOENT') return false
    throw err
  }
}

/**
 * Creates a new identity in `home` (directory created 0700 when missing, file 0600). Private keys
 * are encrypted with the passphrase (scrypt N=2^15 + AES-256-GCM); without a passphrase, only
 * `insecureDevKey: true` allows writing them in clear. Throws IdentityExistsError if one exists.
 */
export async function createIdentity (home: string, options: CreateIdentityOptions = {}): Promise<RootIdentity> {
  const encrypted = hasPassphrase(options.passphrase)
  if (!encrypted && options.insecureDevKey !== true) throw new PassphraseRequiredError()
  const N = options.scryptN ?? SCRYPT_N
  if (!isScryptN(N, SCRYPT_MAX_N)) throw new RangeError('scryptN must be a power of two ≤ 2^20')
  if (await identityExists(home)) throw new IdentityExistsError(`an identity already exists at ${identityPath(home)}`)

  const rootKey = await generateKeyPair('secp256k1')
  const address = attAddress(rootKey.publicKey)
  const protect = async (key: PrivateKey, role: KeyRole): Promise<KeyBlob> =>
    encrypted ? encryptKey(key, options.passphrase as string, address, role, N) : plainKey(key)

  const file: IdentityFile = { version: KEYSTORE_VERSION, address, root: await protect(rootKey, 'root') }
  let nodeKey: PrivateKey = rootKey
  let certificate: Uint8Array | undefined
  if (options.deviceKey === true) {
    nodeKey = await generateKeyPair('secp256k1')
    certificate = encodeCertificate(issueCertificate(rootKey, nodeKey.publicKey, { now: options.now, label: options.label ?? defaultLabel() }))
    file.node = await protect(nodeKey, 'node')
    file.certificate = Buffer.from(certificate).toString('hex')
  }

  await mkdir(home, { recursive: true, mode: 0o700 })
  await writeFileAtomic(identityPath(home), JSON.stringify(file, null, 2) + '\n', true)
  return { address, rootKey, nodeKey, certificate, chain: encodeChain(certificate == null ? [] : [certificate]) }
}

/**
 * Loads the identity in `home`. Renews the device certificate (atomically rewriting the file) when
 * it expires within 7 days. Errors: ERR_IDENTITY_NOT_FOUND, ERR_KEYSTORE_CORRUPT,
 * ERR_PASSPHRASE_REQUIRED, ERR_WRONG_PASSPHRASE, ERR_INSECURE_KEY_REFUSED. A failed load never
 * modifies the file.
 */
export async function loadIdentity (home: string, options: LoadIdentityOptions = {}): Promise<RootIdentity> {
  const path = identityPath(home)
  const file = await readIdentityFile(path)
  if (file.root == null) {
    // a linked device runs a node (loadNodeIdentity) but cannot certify devices or sign as the root
    throw new RootKeyRequiredError(`${path} holds a linked device key without the root key; this needs the home that holds the root key`)
  }
  const rootKey = await openKey(file.root, file.address, 'root', options)
  if (attAddress(rootKey.publicKey) !== file.address) throw corrupt('the root key does not match the address')
  if (file.node == null || file.certificate == null) {
    return { address: file.address, rootKey, nodeKey: rootKey, chain: encodeChain([]) }
  }
  const nodeKey = await openKey(file.node, file.address, 'node', options)
  let certificate: Uint8Array = new Uint8Array(Buffer.from(file.certificate, 'hex'))
  const cert = checkDeviceCertificate(certificate, file.address, rootKey.publicKey, nodeKey.publicKey)
  const now = options.now ?? nowSeconds()
  if (cert.notAfter - now < CERT_RENEW_BEFORE_SECONDS) {
    certificate = encodeCertificate(issueCertificate(rootKey, nodeKey.publicKey, { now, label: cert.label }))
    const renewed: IdentityFile = { ...file, certificate: Buffer.from(certificate).toString('hex') }
    await writeFileAtomic(path, JSON.stringify(renewed, null, 2) + '\n', false)
  }
  return { address: file.address, rootKey, nodeKey, certificate, chain: encodeChain([certificate]) }
}

/** Loads the identity in `home`, creating it first when there is none. */
export async function loadOrCreateIdentity (home: string, options: CreateIdentityOptions = {}): Promise<{ identity: RootIdentity, created: boolean }> {
  if (!(await identityExists(home))) {
    try {
      return { identity: await createIdentity(home, options), created: true }
    } catch (err) {
      // Another process created it between the check and the write: load theirs.
      if (!(err instanceof IdentityExistsError)) throw err
    }
  }
  return { identity: await loadIdentity(home, options), created: false }
}

/**
 * The identity a node runs on: the root home's (created when there is none, as loadOrCreateIdentity),
 * or a linked device's, without the root key (loadDeviceIdentity).
 */
export async function loadNodeIdentity (home: string, options: CreateIdentityOptions = {}): Promise<{ identity: Identity, created: boolean }> {
  try {
    return await loadOrCreateIdentity(home, options)
  } catch (err) {
    if (!(err instanceof RootKeyRequiredError)) throw err
    return { identity: await loadDeviceIdentity(home, options), created: false }
  }
}

/**
 * Encrypts the keys of `home` under a new passphrase (an unencrypted development key, or one
 * encrypted under `current.passphrase`). Atomic: the new file is written beside the old one,
 * decrypted again with the new passphrase and compared, and only then renamed over it; on any
 * failure the old file is untouched. The address does not change.
 */
export async function changePassphrase (home: string, current: LoadIdentityOptions, next: string, options: { scryptN?: number } = {}): Promise<{ address: string, wasEncrypted: boolean }> {
  if (!hasPassphrase(next)) throw new PassphraseRequiredError('the new passphrase is empty')
  const N = options.scryptN ?? SCRYPT_N
  const path = identityPath(home)
  const file = await readIdentityFile(path)
  const first = (file.root ?? file.node) as KeyBlob
  const wasEncrypted = first.cipher !== 'none'
  // an unencrypted key is opened as such: encrypting it is the point of this call
  const opening: LoadIdentityOptions = wasEncrypted ? current : { insecureDevKey: true }
  const rootKey = file.root != null ? await openKey(file.root, file.address, 'root', opening) : undefined
  if (rootKey != null && attAddress(rootKey.publicKey) !== file.address) throw corrupt('the root key does not match the address')
  const nodeKey = file.node != null ? await openKey(file.node, file.address, 'node', opening) : undefined
  const updated: IdentityFile = { ...file }
  if (rootKey != null) updated.root = await encryptKey(rootKey, next, file.address, 'root', N)
  if (nodeKey != null) updated.node = await encryptKey(nodeKey, next, file.address, 'node', N)
  const fresh = `${path}.new`
  await writeFileAtomic(fresh, JSON.stringify(updated, null, 2) + '\n', false)
  try {
    // verified from the bytes on disk before they replace the old file
    const written = parseIdentityFile(await readFile(fresh, 'utf8'))
    const root2 = written.root != null ? await openKey(written.root, written.address, 'root', { passphrase: next }) : undefined
    const node2 = written.node != null ? await openKey(written.node, written.address, 'node', { passphrase: next }) : undefined
    if ((rootKey != null && (root2 == null || !Buffer.from(root2.raw).equals(Buffer.from(rootKey.raw)))) || (nodeKey != null && (node2 == null || !Buffer.from(node2.raw).equals(Buffer.from(nodeKey.raw))))) {
      throw corrupt('the re-encrypted keystore does not decrypt to the same keys')
    }
    await rename(fresh, path)
  } catch (err) {
    await unlink(fresh).catch(() => undefined)
    throw err
  }
  return { address: file.address, wasEncrypted }
}

/**
 * Loads a linked device's identity: its device key and the certificate that binds it to the root
 * public key. Nothing is renewed here (only the root key can issue a certificate; export a new
 * bundle from a root device before the 30 days run out).
 */
async function loadLinkedDevice (file: IdentityFile, options: LoadIdentityOptions): Promise<LinkedDeviceIdentity> {
  if (file.node == null || file.certificate == null || file.rootPublicKey == null) throw corrupt('a linked device without its device key')
  const nodeKey = await openKey(file.node, file.address, 'node', options)
  const certificate: Uint8Array = new Uint8Array(Buffer.from(file.certificate, 'hex'))
  const cert = checkDeviceCertificate(certificate, file.address, undefined, nodeKey.publicKey)
  if (Buffer.from(cert.rootPublicKey.raw).toString('hex') !== file.rootPublicKey) throw corrupt('the device certificate does not match the keys')
  return { address: file.address, rootPublicKey: cert.rootPublicKey, nodeKey, certificate, chain: encodeChain([certificate]) }
}

/**
 * The stored device certificate, decoded: it must bind `nodePublicKey` to the identity's root key
 * (`rootPublicKey` when known, else the key of `address`) and carry that root key's signature.
 * The validity window is not checked here (a root home renews, a linked device warns).
 */
function checkDeviceCertificate (certificate: Uint8Array, address: string, rootPublicKey: PublicKey | undefined, nodePublicKey: PublicKey): ReturnType<typeof decodeCertificate> {
  let cert
  try {
    cert = decodeCertificate(certificate)
  } catch (err) {
    throw corrupt('the device certificate cannot be decoded', err)
  }
  const rootMatches = rootPublicKey != null ? cert.rootPublicKey.equals(rootPublicKey) : attAddress(cert.rootPublicKey) === address
  if (!rootMatches || !cert.nodePublicKey.equals(nodePublicKey)) throw corrupt('the device certificate does not match the keys')
  if (!verify(cert.rootPublicKey, DOMAIN_CERT, certificateSignedBytes(cert), cert.signature)) {
    throw corrupt('the device certificate signature does not verify')
  }
  return cert
}

/** Loads the identity of a linked device's home (see importDeviceIdentity). */
export async function loadDeviceIdentity (home: string, options: LoadIdentityOptions = {}): Promise<LinkedDeviceIdentity> {
  const path = identityPath(home)
  const file = await readIdentityFile(path)
  if (file.root != null) throw corrupt('not a linked device (it holds the root key)')
  return await loadLinkedDevice(file, options)
}

/**
 * Creates `home` for a linked device from an opened device bundle (`attn init --import`): the
 * device key is protected like `createIdentity` protects keys (passphrase, or in clear only with
 * `insecureDevKey`); no root private key is written. Throws IdentityExistsError if one exists.
 */
export async function importDeviceIdentity (home: string, device: { address: string, rootPublicKey: PublicKey, nodeKey: PrivateKey, certificate: Uint8Array }, options: CreateIdentityOptions = {}): Promise<LinkedDeviceIdentity> {
  const encrypted = hasPassphrase(options.passphrase)
  if (!encrypted && options.insecureDevKey !== true) throw new PassphraseRequiredError()
  const N = options.scryptN ?? SCRYPT_N
  if (await identityExists(home)) throw new IdentityExistsError(`an identity already exists at ${identityPath(home)}`)
  const file: IdentityFile = {
    version: KEYSTORE_VERSION,
    address: device.address,
    rootPublicKey: Buffer.from(device.rootPublicKey.raw).toString('hex'),
    node: encrypted ? await encryptKey(device.nodeKey, options.passphrase as string, device.address, 'node', N) : plainKey(device.nodeKey),
    certificate: Buffer.from(device.certificate).toString('hex')
  }
  await mkdir(home, { recursive: true, mode: 0o700 })
  await writeFileAtomic(identityPath(home), JSON.stringify(file, null, 2) + '\n', true)
  return await loadLinkedDevice(file, encrypted ? { passphrase: options.passphrase } : { insecureDevKey: true })
}
