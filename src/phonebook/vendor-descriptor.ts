// A phone vendor = templates + this descriptor (directory-templates/<vendor>.json). Everything
// vendor-specific that is not markup lives here: which files the phone asks for, page size, name
// limits, which query parameters mean search / reverse lookup / paging, provisioning lines.
import { z } from 'zod';

const paramNames = z.array(z.string().min(1)).default([]);

export const vendorDescriptorSchema = z.object({
  vendor: z.string().regex(/^[a-z0-9-]+$/),
  title: z.string().min(1).describe('Shown to managers on the provisioning page'),
  /** Regular expressions matched against the requested file path (after /phonebook/<account>/). */
  files: z.array(z.string().min(1)).min(1),
  contentType: z.string().default('text/xml; charset=utf-8'),
  /** Template per view; "default" is required. A view is chosen by the `view` parameters. */
  templates: z.record(z.string(), z.string()).refine((t) => 'default' in t, 'needs a "default" template'),
  /** Entries per page; 0 = the whole directory in one answer. */
  pageSize: z.number().int().min(0).default(0),
  /** One entry per number (Polycom, Cisco...) instead of one per contact. */
  entryPerNumber: z.boolean().default(false),
  /** With entryPerNumber: list each number once (phones that key entries by number). */
  uniqueNumbers: z.boolean().default(false),
  nameMaxChars: z.number().int().min(0).default(0),
  nameMaxBytes: z.number().int().min(0).default(0),
  labels: z.record(z.string(), z.string()).default({}),
  params: z.object({
    search: paramNames,
    number: paramNames,
    page: paramNames,
    first: paramNames,
    count: paramNames,
    group: paramNames,
    view: paramNames,
  }).strict().default({ search: [], number: [], page: [], first: [], count: [], group: [], view: [] }),
  /** Strings a phone substitutes for "no search term" (e.g. Yealink's unexpanded #SEARCH). */
  emptySearchValues: z.array(z.string()).default([]),
  /** Extra response headers (Cisco's Refresh). */
  headers: z.record(z.string(), z.string()).default({}),
  /** Accept POST as well as GET (Snom's tbook). */
  allowPost: z.boolean().default(false),
  /** Provisioning lines, as templates over { url, tokenUrl, username, password, account }. */
  provisioning: z.array(z.string()).default([]),
}).strict();

export type VendorDescriptor = z.infer<typeof vendorDescriptorSchema>;
