/** Emails compare case-insensitively in Unicode normal form: `Ana@Example.NA` is `ana@example.na`. */
export function normaliseEmail(email: string): string {
  return email.normalize('NFC').trim().toLowerCase();
}

/** "Ana Nangolo" → "A** N******": enough to confirm a payee, not enough to harvest names. */
export function maskName(fullName: string): string {
  return fullName
    .trim()
    .split(/\s+/)
    .map((part) => {
      const chars = [...part];
      return chars[0] + '*'.repeat(Math.max(chars.length - 1, 1));
    })
    .join(' ');
}
