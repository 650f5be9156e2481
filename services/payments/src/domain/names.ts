/**
 * "Ana Nangolo" → "A** N******", the way identity masks a name for a payee lookup. Payments
 * stores only this masked form (learned from identity.user.registered) for receipts, never
 * the full name, and forgets it when the user is erased.
 */
export function maskName(fullName: string): string {
  return fullName
    .trim()
    .split(/\s+/)
    .filter((part) => part.length > 0)
    .map((part) => {
      const chars = [...part];
      return chars[0] + '*'.repeat(Math.max(chars.length - 1, 1));
    })
    .join(' ');
}
