// Deterministic fake contacts for benchmarks: names from small lists, unique US numbers.
const FIRST = ['James', 'Mary', 'José', 'Linda', 'Chen', 'Fatima', 'Olivier', 'Zoë', 'Ahmed', 'Sofia', 'Liam', 'Ingrid', 'Kenji', 'Amara', 'Noah', 'Élodie'];
const LAST = ['Smith', 'Johnson', 'Álvarez', 'Nguyen', 'Müller', 'Okafor', 'Rossi', 'Kowalski', 'Dubois', 'Tanaka', 'Silva', 'Brown', 'García', 'Lee', 'Novak', 'Walsh'];
// Syllables for surnames: about 10,000 distinct ones, so a 3-letter prefix matches roughly as
// many contacts as in a real 100,000-entry directory (hundreds, not thousands).
const SYL1 = ['Ba', 'Be', 'Car', 'Da', 'El', 'Fer', 'Go', 'Har', 'Ja', 'Ka', 'Lo', 'Ma', 'Ne', 'Or', 'Pa', 'Ro', 'Sa', 'Ta', 'Va', 'Wi', 'Zu', 'Mü', 'Jó'];
const SYL2 = ['ber', 'ca', 'di', 'len', 'mo', 'nar', 'ri', 'sto', 'va', 'zel', 'ko', 'lin', 'men', 'ton', 'wa', 'ya', 'ga', 'ré'];
const SYL3 = ['', 'son', 'ez', 'ski', 'ford', 'ini', 'ova', 'berg', 'man', 'os', 'ley', 'ier', 'ach', 'ović', 'sen', 'ton', 'ura', 'ado', 'ine', 'ell', 'ard', 'us', 'elli', 'ström'];
const COMPANY = ['Acme', 'Globex', 'Initech', 'Umbrella', 'Stark', 'Wayne', 'Hooli', 'Vandelay', ''];

/** A simple LCG so every run produces the same data. */
export function rng(seed = 42): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

export const NAME_PREFIXES = ['smi', 'gar', 'kab', 'mar', 'ro', 'sal', 'jóv', 'mül', 'ferc', 'tavi'];

export interface FakeContact {
  firstName: string; lastName: string; company: string; workNumber: string; mobileNumber: string; groups: string[];
}

export function fakeContact(i: number, rand: () => number): FakeContact {
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)];
  // unique 7-digit line numbers spread over a few area codes
  const line = String(1_000_000 + i).slice(-7);
  const area = 200 + (i % 700);
  return {
    firstName: pick(FIRST),
    lastName: i % 10 === 0 ? pick(LAST) : pick(SYL1) + pick(SYL2) + pick(SYL3),
    company: pick(COMPANY),
    workNumber: `+1 (${area}) ${line.slice(0, 3)}-${line.slice(3)}`,
    mobileNumber: i % 3 === 0 ? `${area + 1}-555-${String(i % 10000).padStart(4, '0')}` : '',
    groups: i % 10 === 0 ? ['Suppliers'] : [],
  };
}
