// Groups: named per account, unique names; deleting one never deletes contacts.
import { z } from 'zod';
import { groupNameSchema } from './contact-schemas.ts';

export const groupCreateSchema = z.object({ name: groupNameSchema }).strict();
export const groupPatchSchema = z.object({ name: groupNameSchema }).strict();

export interface Group {
  id: string;
  accountId: string;
  name: string;
  contactCount: number;
}
