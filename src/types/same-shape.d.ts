/**
 * A compile-time tie between a server type and the zod schema that documents it (an API response's
 * OpenAPI schema): `SameShape<A, B>` is `true` only when each is assignable to the other, readonly
 * aside. A field added to one and not the other fails `tsc`, so the document cannot drift from the code.
 */
type DeepReadonly<T> = T extends readonly (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

export type SameShape<A, B> = [DeepReadonly<A>] extends [DeepReadonly<B>]
  ? [DeepReadonly<B>] extends [DeepReadonly<A>]
    ? true
    : false
  : false;
