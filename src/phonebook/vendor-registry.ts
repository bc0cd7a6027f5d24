// Loads every vendor descriptor and template from the templates folder once, at start. A broken
// descriptor or template stops the start with an error naming the file, not the first phone.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Handlebars from 'handlebars';
import { vendorDescriptorSchema, type VendorDescriptor } from './vendor-descriptor.ts';
import type { PhonebookModel } from './phonebook-model.ts';
import { escapedTemplateAst, registerEscapers } from './xml-escape.ts';

export interface Vendor {
  descriptor: VendorDescriptor;
  files: RegExp[];
  templates: Record<string, (model: PhonebookModel) => string>;
  provisioning: ((data: object) => string)[];
  /** Views whose template shows no URL (no "url" in its source): their answer is the same whatever
   *  URL was asked, so it is cached once for all of them and can be made before any phone asks. */
  urlFree: Set<string>;
  /** descriptor.headers as pairs, made once (every answer sets them). */
  headerList: [string, string][];
}

const MAX_MATCHED = 10_000;

export class VendorRegistry {
  private readonly matched = new Map<string, Vendor | null>();
  private constructor(readonly vendors: Vendor[]) {}

  static load(dir: string): VendorRegistry {
    const hb = Handlebars.create();
    // Helpers for templates: equality tests only; all formatting happens in the model.
    hb.registerHelper('eq', (a: unknown, b: unknown) => a === b);
    registerEscapers(hb);
    const vendors: Vendor[] = [];
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
      const path = join(dir, file);
      let descriptor: VendorDescriptor;
      try {
        descriptor = vendorDescriptorSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
      } catch (err) {
        throw new Error(`Phonebook descriptor ${path} is invalid: ${(err as Error).message}`);
      }
      const templates: Vendor['templates'] = Object.create(null) as Vendor['templates'];
      const urlFree = new Set<string>();
      for (const [view, name] of Object.entries(descriptor.templates)) {
        const { template, source } = compile(hb, join(dir, name));
        templates[view] = template;
        if (!/url/i.test(source)) urlFree.add(view);
      }
      const provisioning = descriptor.provisioning.map((line, i) => {
        try {
          return hb.compile(line, { strict: true, noEscape: true });
        } catch (err) {
          throw new Error(`Phonebook descriptor ${path}: provisioning line ${i + 1}: ${(err as Error).message}`);
        }
      });
      if (descriptor.resultsView !== undefined && !Object.hasOwn(templates, descriptor.resultsView)) {
        throw new Error(`Phonebook descriptor ${path}: resultsView "${descriptor.resultsView}" has no template`);
      }
      for (const view of Object.keys(descriptor.viewLimits)) {
        if (!Object.hasOwn(templates, view)) throw new Error(`Phonebook descriptor ${path}: viewLimits names "${view}", which has no template`);
      }
      // Paging counts entries per contact before numbers are built; a number left out for its length would shift every page.
      if (descriptor.entryPerNumber && descriptor.numberMaxDigits > 0) throw new Error(`Phonebook descriptor ${path}: numberMaxDigits cannot be combined with entryPerNumber`);
      vendors.push({ descriptor, files: descriptor.files.map((f) => new RegExp(`^(?:${f})$`, 'i')), templates, provisioning, urlFree, headerList: Object.entries(descriptor.headers) });
    }
    if (vendors.length === 0) throw new Error(`No phonebook descriptors (*.json) in ${dir}`);
    return new VendorRegistry(vendors);
  }

  /** The vendor whose file pattern matches the requested path (e.g. "polycom/0004f2-directory.xml"). */
  match(file: string): Vendor | null {
    // Phones ask for the same few files all day: remembered (bounded; junk names are forgotten in bulk).
    const known = this.matched.get(file);
    if (known !== undefined) return known;
    const vendor = this.vendors.find((v) => v.files.some((re) => re.test(file))) ?? null;
    if (file.length > 200) return vendor;
    if (this.matched.size >= MAX_MATCHED) this.matched.clear();
    this.matched.set(file, vendor);
    return vendor;
  }

  byName(name: string): Vendor | null {
    return this.vendors.find((v) => v.descriptor.vendor === name) ?? null;
  }
}

function compile(hb: typeof Handlebars, path: string): { template: (model: PhonebookModel) => string; source: string } {
  let source: string;
  try {
    source = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`Phonebook template ${path} cannot be read: ${(err as Error).message}`);
  }
  try {
    // One XML escaper for every value (xml-escape.ts), in place of Handlebars' HTML escaping.
    const template = hb.compile(escapedTemplateAst(hb, source), { strict: true, noEscape: true });
    // Render once with an empty model so syntax and unknown-field errors surface at start.
    template(EMPTY_MODEL);
    return { template: template as (model: PhonebookModel) => string, source };
  } catch (err) {
    throw new Error(`Phonebook template ${path} is broken: ${(err as Error).message}`);
  }
}

const SAMPLE_NUMBER = { kind: 'work' as const, label: 'Work', number: '1001', digits: '1001', dial: '1001' };
const EMPTY_MODEL: PhonebookModel = {
  title: '', account: { id: '', name: '' }, accountIndex: 0, type: '', query: { search: '', number: '', group: '' },
  search: '', total: 1, truncated: false,
  groups: [{ id: 1, name: 'Group', url: '' }],
  entries: [{
    name: 'A', entryName: 'A', firstName: 'A', lastName: 'B', company: 'C', title: '', email: '', groups: ['Group'], groupIds: [1], numbers: [SAMPLE_NUMBER],
    familyName: 'B', number: '1001', label: 'Work', kind: 'work', dial: '1001', work: '1001', mobile: '', home: '', fax: '', extension: '',
    office: '1001', phone1: '1001', phone2: '', phone3: '', index: 1,
  }],
  paging: { page: 1, pages: 1, first: 0, last: 0, count: 0, prevUrl: null, nextUrl: null, selfUrl: '', searchUrl: '' },
};
