import { z } from 'zod';

export const id = z.uuid();
export const currency = z.enum(['NAD', 'ZAR', 'USD']);
/** Decimal string with exactly the currency's two minor digits, as in the public API. */
export const amount = z.string().regex(/^\d{1,13}\.\d{2}$/, 'a decimal amount with two digits');
export const timestamp = z.iso.datetime();
export const permission = z.string().regex(/^[a-z]+:[a-z]+$/);
