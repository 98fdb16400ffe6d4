/**
 * Contacts (name → ATT address) kept in the node's store, and recipient resolution: wherever an
 * address is taken, a contact name is accepted too; views show the contact name beside an address.
 */
import { parseAttAddress } from '../keys/index.js'
import { MAX_CONTACT_NAME_BYTES, MAX_CONTACTS } from './constants.js'
import { ContactExistsError, ContactNotFoundError, ContactsFullError, InvalidContactNameError, InvalidRecipientError, UnknownRecipientNameError } from './errors.js'
import { GROUP_PREFIX } from './views.js'
import type { MessagingStore } from './store.js'

export interface Contact {
  name: string
  address: string
  createdAt: number
}

function isAddress (s: string): boolean {
  try {
    parseAttAddress(s)
    return true
  } catch {
    // not an address: a name, or junk
    return false
  }
}

export function checkContactName (name: string): void {
  if (name.length === 0) throw new InvalidContactNameError(name, 'it is empty')
  if (Buffer.byteLength(name) > MAX_CONTACT_NAME_BYTES) throw new InvalidContactNameError(name, `longer than ${MAX_CONTACT_NAME_BYTES} bytes`)
  if (/[\u0000-\u001f\u007f/]/.test(name)) throw new InvalidContactNameError(name, 'control characters and "/" are not allowed')
  if (name.trim() !== name) throw new InvalidContactNameError(name, 'it starts or ends with a space')
  if (name.startsWith(GROUP_PREFIX)) throw new InvalidContactNameError(name, `"${GROUP_PREFIX}" starts a group id`)
  if (isAddress(name)) throw new InvalidContactNameError(name, 'it is an ATT address')
}

export class Contacts {
  constructor (private readonly store: MessagingStore) {}

  list (): Contact[] {
    return this.store.listContacts()
  }

  add (name: string, address: string): Contact {
    checkContactName(name)
    if (!isAddress(address)) throw new InvalidRecipientError(address)
    const existing = this.store.getContact(name)
    if (existing != null) {
      if (existing.address === address) return this.list().find(c => c.name === name) as Contact
      throw new ContactExistsError(name, existing.address)
    }
    if (this.store.contactCount() >= MAX_CONTACTS) throw new ContactsFullError(MAX_CONTACTS)
    this.store.addContact(name, address)
    return this.list().find(c => c.name === name) as Contact
  }

  remove (name: string): Contact {
    const c = this.store.getContact(name)
    if (c == null || !this.store.removeContact(name)) throw new ContactNotFoundError(name)
    return { ...c, createdAt: 0 }
  }

  rename (from: string, to: string): Contact {
    checkContactName(to)
    const c = this.store.getContact(from)
    if (c == null) throw new ContactNotFoundError(from)
    if (from === to) return this.list().find(x => x.name === to) as Contact
    const taken = this.store.getContact(to)
    if (taken != null) throw new ContactExistsError(to, taken.address)
    this.store.renameContact(from, to)
    return this.list().find(x => x.name === to) as Contact
  }

  /** An address or group id as given; a contact name as its address. */
  resolve (to: string): string {
    if (to.startsWith(GROUP_PREFIX) || isAddress(to)) return to
    const c = this.store.getContact(to)
    if (c == null) throw new UnknownRecipientNameError(to)
    return c.address
  }

  /** The contact name of an address, if there is one (the first by name). */
  nameOf (address: string): string | undefined {
    return this.store.contactNameOf(address)
  }

  /** Contact names by address (one per address: the first by name). */
  names (): Map<string, string> {
    const m = new Map<string, string>()
    for (const c of this.store.listContacts()) if (!m.has(c.address)) m.set(c.address, c.name)
    return m
  }
}
