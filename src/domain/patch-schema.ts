// PATCH schemas derived from a concept's schema: the same fields and checks, every field optional,
// and no defaults. zod's `.default()` survives `.partial()`, so `schema.partial()` would fill in
// every field the caller did not send (a name change once demoted a user to "basic", and one
// changed setting reset the account's phone allow-list).
import { z } from 'zod';

type WithoutDefaults<S extends z.ZodRawShape> = {
  [K in keyof S]: S[K] extends z.ZodDefault<infer T> ? T : S[K];
};

/** The shape with each `.default(...)` unwrapped; combine with `.partial()` for a PATCH body. */
export function withoutDefaults<S extends z.ZodRawShape>(shape: S): WithoutDefaults<S> {
  return Object.fromEntries(
    Object.entries(shape).map(([key, field]) => [key, field instanceof z.ZodDefault ? field.unwrap() : field]),
  ) as WithoutDefaults<S>;
}
