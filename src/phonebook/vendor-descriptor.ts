// A phone vendor = templates + this descriptor (directory-templates/<vendor>.json). Everything
// vendor-specific that is not markup lives here: which files the phone asks for, page size, name
// limits, which query parameters mean search / reverse lookup / paging, which number form the
// phone dials, provisioning lines, and the evidence for each of those decisions ("sources").
import { z } from 'zod';

const paramNames = z.array(z.string().min(1)).default([]);

export const DIAL_FORMS = ['e164', 'national'] as const;
export type DialForm = (typeof DIAL_FORMS)[number];

export const vendorDescriptorSchema = z.object({
  vendor: z.string().regex(/^[a-z0-9-]+$/),
  title: z.string().min(1).describe('Shown to managers on the provisioning page'),
  /** How well the format is known: V vendor document, I open-source implementation, U unverified. */
  evidence: z.enum(['V', 'I', 'U']),
  /**
   * One line per format decision and where it comes from ("decision: [V|I|U] source"). JSON has
   * no comments; this array is the descriptor's comment block and the README's evidence column.
   */
  sources: z.array(z.string().min(10)).min(1),
  /** Regular expressions matched against the requested file path (after /phonebook/<account>/). */
  files: z.array(z.string().min(1)).min(1),
  contentType: z.string().default('text/xml; charset=utf-8'),
  /** Content type per view when it differs from contentType (Polycom's microbrowser pages). */
  contentTypes: z.record(z.string(), z.string()).default({}),
  /** Template per view; "default" is required. A view is chosen by the `view` parameters. */
  templates: z.record(z.string(), z.string()).refine((t) => 'default' in t, 'needs a "default" template'),
  /** View for requests that search, look up a number, pick a group or page but name no view (Cisco: the menu is the default, results are a directory). */
  resultsView: z.string().optional(),
  /** Entries per page; 0 = the whole directory in one answer. */
  pageSize: z.number().int().min(0).default(0),
  /** Largest answer the phone accepts, in bytes; entries beyond it are left out (Polycom dir.local 200 KB). 0 = no limit. */
  maxBodyBytes: z.number().int().min(0).default(0),
  /** One entry per number (Polycom, Cisco...) instead of one per contact. */
  entryPerNumber: z.boolean().default(false),
  /** With entryPerNumber: list each number once (phones that key entries by number). */
  uniqueNumbers: z.boolean().default(false),
  nameMaxChars: z.number().int().min(0).default(0),
  nameMaxBytes: z.number().int().min(0).default(0),
  /** Characters the phone refuses in names (Panasonic: & ' < > "): removed, where other vendors get them escaped. */
  nameDropCharacters: z.string().default(''),
  /**
   * Numbers written with 0-9 * # only (Panasonic PhoneNum): a number that would start with + is
   * written with the account region's international prefix instead (011 44..., 00 44...).
   */
  numberDigitsOnly: z.boolean().default(false),
  /** Longest number the phone takes, in characters; a longer one is left out, never cut (a cut number dials someone else). 0 = no limit. */
  numberMaxDigits: z.number().int().min(0).default(0),
  /** Entries numbered from 1 in every answer (Panasonic's Personnel id is the display order, 1-20), not across pages. */
  indexPerAnswer: z.boolean().default(false),
  /** Most entries in one answer, whatever the paging asks; past it the phone shows the first ones and the user narrows the search. 0 = no cap. */
  maxEntries: z.number().int().min(0).default(0),
  /** maxEntries / maxBodyBytes for one view where they differ from the vendor's (Gigaset's central phonebook file). */
  viewLimits: z.record(z.string(), z.object({
    maxEntries: z.number().int().min(0).optional(),
    maxBodyBytes: z.number().int().min(0).optional(),
  }).strict()).default({}),
  /** Number form the phone dials and matches caller-ID against; an account setting may override it. */
  dialForm: z.enum(DIAL_FORMS).default('e164'),
  labels: z.record(z.string(), z.string()).default({}),
  params: z.object({
    search: paramNames,
    /** Prefix searches on one name field (Gigaset ln/fn); "*" alone means any, a trailing "*" is dropped. */
    firstName: paramNames,
    lastName: paramNames,
    number: paramNames,
    page: paramNames,
    first: paramNames,
    count: paramNames,
    /** Last entry wanted (1-based, inclusive), with first (Gigaset). */
    last: paramNames,
    group: paramNames,
    view: paramNames,
    /** Request type echoed in the answer (Gigaset pb/pr); values outside typeValues read as the first. */
    type: paramNames,
  }).strict().default({ search: [], firstName: [], lastName: [], number: [], page: [], first: [], count: [], last: [], group: [], view: [], type: [] }),
  typeValues: z.array(z.string().min(1)).default([]),
  /** Strings a phone substitutes for "no search term" (e.g. Yealink's unexpanded #SEARCH). */
  emptySearchValues: z.array(z.string()).default([]),
  /** Extra response headers (Cisco's Refresh). */
  headers: z.record(z.string(), z.string()).default({}),
  /** Accept POST as well as GET (Snom's Remote XML Directory). */
  allowPost: z.boolean().default(false),
  /** Provisioning lines, as templates over { url, tokenUrl, tokenHostPath, https, username, password, account, ... }. */
  provisioning: z.array(z.string()).default([]),
}).strict();

export type VendorDescriptor = z.infer<typeof vendorDescriptorSchema>;
