import { AttnError } from '../errors.js'

/** A string is not a valid ATT address (a secp256k1 identity PeerId in its canonical form). */
export class InvalidAddressError extends AttnError {
  constructor (message: string, options?: ErrorOptions) { super(message, 'ERR_INVALID_ADDRESS', options) }
}

/** A key given to this layer is not a (valid) secp256k1 key. */
export class InvalidKeyError extends AttnError {
  constructor (message: string, options?: ErrorOptions) { super(message, 'ERR_INVALID_KEY', options) }
}

/** A signature domain is empty, too long or contains bytes outside 0x21..0x7e. */
export class InvalidSignatureDomainError extends AttnError {
  constructor (message: string) { super(message, 'ERR_INVALID_SIGNATURE_DOMAIN') }
}

/** Certificate or chain bytes do not follow the layout (truncated, trailing bytes, bad field). */
export class MalformedCertificateError extends AttnError {
  constructor (message: string, options?: ErrorOptions) { super(message, 'ERR_CERT_MALFORMED', options) }
}

/** The certificate version byte is not one this implementation understands. */
export class UnsupportedCertificateVersionError extends AttnError {
  constructor (message: string) { super(message, 'ERR_CERT_UNSUPPORTED_VERSION') }
}

/** The root key's signature over the certificate does not verify. */
export class CertificateBadSignatureError extends AttnError {
  constructor (message: string) { super(message, 'ERR_CERT_BAD_SIGNATURE') }
}

/** The certificate's validity window is longer than allowed (30 days unless raised on issue). */
export class CertificateValidityTooLongError extends AttnError {
  constructor (message: string) { super(message, 'ERR_CERT_VALIDITY_TOO_LONG') }
}

/** now + clock skew is before the certificate's not_before. */
export class CertificateNotYetValidError extends AttnError {
  constructor (message: string) { super(message, 'ERR_CERT_NOT_YET_VALID') }
}

/** now - clock skew is after the certificate's not_after. */
export class CertificateExpiredError extends AttnError {
  constructor (message: string) { super(message, 'ERR_CERT_EXPIRED') }
}

/** The chain certifies a node key other than the key that signed the handshake. */
export class ChainKeyMismatchError extends AttnError {
  constructor (message: string) { super(message, 'ERR_CHAIN_KEY_MISMATCH') }
}

/** The chain holds more certificates than this version allows. */
export class ChainTooLongError extends AttnError {
  constructor (message: string) { super(message, 'ERR_CHAIN_TOO_LONG') }
}

/** The keystore is encrypted (or must be created encrypted) and no passphrase was given. */
export class PassphraseRequiredError extends AttnError {
  constructor (message = 'a passphrase is required to use the ATT keystore: set ATTN_PASSPHRASE, or pass --insecure-dev-key to keep an unencrypted development key') {
    super(message, 'ERR_PASSPHRASE_REQUIRED')
  }
}

/** The passphrase does not decrypt the keystore (or the ciphertext was altered). */
export class WrongPassphraseError extends AttnError {
  constructor (message = 'wrong passphrase: the keystore could not be decrypted') { super(message, 'ERR_WRONG_PASSPHRASE') }
}

/** The keystore file exists but cannot be parsed or is inconsistent. */
export class KeystoreCorruptError extends AttnError {
  constructor (message: string, options?: ErrorOptions) { super(message, 'ERR_KEYSTORE_CORRUPT', options) }
}

/** The keystore holds an unencrypted key and the caller did not allow insecure development keys. */
export class InsecureKeyRefusedError extends AttnError {
  constructor (message = 'the keystore holds an unencrypted key; pass --insecure-dev-key to use it, or recreate it with a passphrase') {
    super(message, 'ERR_INSECURE_KEY_REFUSED')
  }
}

/** createIdentity was called where an identity already exists. */
export class IdentityExistsError extends AttnError {
  constructor (message: string) { super(message, 'ERR_IDENTITY_EXISTS') }
}

/** loadIdentity was called where no identity exists. */
export class IdentityNotFoundError extends AttnError {
  constructor (message: string) { super(message, 'ERR_IDENTITY_NOT_FOUND') }
}

/** A device bundle (`attn device export`) was opened with a passphrase other than the one it was sealed with. */
export class BundleWrongPassphraseError extends AttnError {
  constructor (message = 'wrong passphrase for this device bundle') { super(message, 'ERR_BUNDLE_WRONG_PASSPHRASE') }
}

/** A device bundle is not well formed, or was altered after it was sealed (the passphrase was right). */
export class BundleCorruptError extends AttnError {
  constructor (message: string, options?: ErrorOptions) { super(message, 'ERR_BUNDLE_CORRUPT', options) }
}

/** An operation needs the root private key, and this home holds only a certified device key. */
export class RootKeyRequiredError extends AttnError {
  constructor (message: string) { super(message, 'ERR_ROOT_KEY_REQUIRED') }
}
