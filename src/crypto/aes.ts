import { createCipheriv, createDecipheriv, type KeyObject } from 'node:crypto'
import { AES_KEY_LENGTH, GCM_IV_LENGTH, GCM_TAG_LENGTH } from './constants.js'
import { DecryptFailedError, InvalidKeyLengthError } from './errors.js'

function checkKeyIv (key: KeyObject, iv: Uint8Array): void {
  if (key.symmetricKeySize !== AES_KEY_LENGTH) throw new InvalidKeyLengthError('AES-256 key', AES_KEY_LENGTH, key.symmetricKeySize ?? 0)
  if (iv.length !== GCM_IV_LENGTH) throw new InvalidKeyLengthError('AES-GCM IV', GCM_IV_LENGTH, iv.length)
}

/** AES-256-GCM encryption; returns ciphertext | tag(16). */
export function aes256GcmSeal (key: KeyObject, iv: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array): Uint8Array {
  checkKeyIv(key, iv)
  const c = createCipheriv('aes-256-gcm', key, iv)
  if (aad != null) c.setAAD(aad)
  const out = new Uint8Array(plaintext.length + GCM_TAG_LENGTH)
  out.set(c.update(plaintext), 0)
  const fin = c.final()
  if (fin.length > 0) out.set(fin, plaintext.length)
  out.set(c.getAuthTag(), plaintext.length)
  return out
}

/** AES-256-GCM decryption of ciphertext | tag(16); throws `DecryptFailedError` (`ERR_DECRYPT_FAILED`). */
export function aes256GcmOpen (key: KeyObject, iv: Uint8Array, sealed: Uint8Array, aad?: Uint8Array): Uint8Array {
  checkKeyIv(key, iv)
  if (sealed.length < GCM_TAG_LENGTH) throw new DecryptFailedError('sealed input shorter than the GCM tag')
  const n = sealed.length - GCM_TAG_LENGTH
  try {
    const d = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: GCM_TAG_LENGTH })
    if (aad != null) d.setAAD(aad)
    d.setAuthTag(sealed.subarray(n))
    const pt = d.update(sealed.subarray(0, n))
    d.final()
    return new Uint8Array(pt.buffer, pt.byteOffset, pt.length)
  } catch (err) {
    throw new DecryptFailedError(undefined)
  }
}
