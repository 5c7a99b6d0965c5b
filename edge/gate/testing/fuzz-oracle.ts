import type { Credential, CredentialKind } from '../../../shared/rules/credential.ts';
import { b32decode, type Corpus } from './fuzz-corpus.ts';

/**
 * Whether the gate had the right to tie an input to a ticket, judged without the gate's code:
 *  - exact: the input is a code a trusted key issued for that ticket (or a cached credential
 *    of it), up to surrounding whitespace and ASCII case;
 *  - noncanonical: it is, but only once non-ASCII letters are case-mapped to ASCII (`ſ` -> S,
 *    `ﬆ` -> ST), inner whitespace is dropped, trailing base32 bits are ignored, or an ill-typed
 *    value is stringified or unwrapped: the same ticket, read too leniently, not a forgery;
 *  - anything else is a string saying why it is a forgery.
 */
export type Judgement = 'exact' | 'noncanonical' | string;

const strip = (s: string) => s.replace(/^\s+|\s+$/g, '');
const isCodeWrapper = (x: unknown): x is { kind: 'code'; value: unknown } => typeof x === 'object' && x !== null && (x as { kind?: unknown }).kind === 'code';
const preview = (x: unknown) => JSON.stringify(x)?.slice(0, 60) ?? String(x);
const asciiUpper = (s: string) => s.replace(/[a-z]/g, (ch) => String.fromCharCode(ch.charCodeAt(0) - 32));

export function judgeResolution(corpus: Corpus, input: string | Credential, ticketId: string, credential: CredentialKind | undefined): Judgement {
  // An ill-typed { kind: 'code', value: { kind, value } } wrapping a credential: judge what it wraps.
  let wrapped: unknown = input;
  while (isCodeWrapper(wrapped) && typeof wrapped.value === 'object' && wrapped.value !== null) wrapped = wrapped.value;
  if (wrapped !== input) {
    const inner = judgeResolution(corpus, wrapped as Credential, ticketId, credential);
    return inner === 'exact' ? 'noncanonical' : inner;
  }
  if (credential === 'code') {
    // A reader may hand over a code's text as { kind: 'code', value }.
    const raw: unknown = typeof input === 'string' ? input : input.kind === 'code' ? input.value : undefined;
    if (typeof raw !== 'string') return `${preview(input)} resolved as a signed code`;
    const text = strip(raw);
    const issuedTo = (bytes: Buffer | undefined) => bytes !== undefined && corpus.issued.get(bytes.toString('hex')) === ticketId;
    if (issuedTo(b32decode(asciiUpper(text)))) return 'exact';
    const squeezed = text.replace(/\s+/g, '');
    if ([text.toUpperCase(), asciiUpper(text), squeezed.toUpperCase()].some((t) => issuedTo(b32decode(t, false)))) return 'noncanonical';
    return `resolved as a code of ticket ${ticketId}, but decodes to no code a trusted key issued for it`;
  }
  const raw: unknown = typeof input === 'string' ? input : input.value;
  const value = typeof raw === 'string' ? strip(raw) : String(raw);
  const mine = corpus.credentials.filter((c) => c.ticketId === ticketId && (c.kind === credential || (credential === 'barcode' && c.kind === 'card')));
  if (typeof raw === 'string' && mine.some((c) => c.value === value || (c.kind !== 'barcode' && c.value === asciiUpper(value)))) return 'exact';
  if (mine.some((c) => c.value === value.toUpperCase() || c.value === String(raw))) return 'noncanonical';
  return `resolved as ${credential} of ticket ${ticketId}, but no cached ${credential} of that ticket has this value`;
}
