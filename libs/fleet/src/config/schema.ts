/**
 * A small schema kit for the Fleet config: one declaration per field that both validates a value
 * (every problem collected, each with its path) and gives the TypeScript type (`Infer`). The
 * config's types in fleet-config.ts are inferred from its schemas, so the two cannot disagree.
 */

/** One thing wrong with a config: where (`databases.users.tenants.strategy`) and what. */
export interface ConfigProblem {
  field: string;
  problem: string;
}

export interface Schema<T, Optional extends boolean = false> {
  readonly optional: Optional;
  /** Shown in "must be ..." messages and docs. */
  readonly expected: string;
  /** The value, or undefined after recording its problems. */
  parse(value: unknown, path: string, problems: ConfigProblem[]): T | undefined;
}

export type Infer<S> = S extends Schema<infer T, boolean> ? T : never;

type AnySchema = Schema<unknown, boolean>;
type Shape = Record<string, AnySchema>;
type RequiredKeys<S extends Shape> = { [K in keyof S]: S[K] extends Schema<unknown, true> ? never : K }[keyof S];
type OptionalKeys<S extends Shape> = { [K in keyof S]: S[K] extends Schema<unknown, true> ? K : never }[keyof S];
type Flatten<T> = { [K in keyof T]: T[K] };
export type ObjectOf<S extends Shape> = Flatten<{ [K in RequiredKeys<S>]: Infer<S[K]> } & { [K in OptionalKeys<S>]?: Infer<S[K]> }>;

function schema<T>(expected: string, accept: (value: unknown) => T | string): Schema<T> {
  // `accept` returns the value, or a problem marked by bad().
  return {
    optional: false,
    expected,
    parse(value, path, problems) {
      const result = accept(value);
      if (typeof result === 'string' && result.startsWith('\u0000')) {
        problems.push({ field: path, problem: result.slice(1) });
        return undefined;
      }
      return result as T;
    },
  };
}

/** A problem message from an `accept` function (a NUL-prefixed string, so that string values stay values). */
const bad = (problem: string) => `\u0000${problem}`;

export const s = {
  optional<T>(inner: Schema<T>): Schema<T, true> {
    return { ...inner, optional: true };
  },
  string(what = 'a non-empty string', test?: (v: string) => string | null): Schema<string> {
    return schema(what, (v) => {
      if (typeof v !== 'string' || v.length === 0) return bad(`must be ${what}`);
      const problem = test?.(v);
      return problem ? bad(problem) : v;
    });
  },
  boolean(): Schema<boolean> {
    return schema('true or false', (v) => (typeof v === 'boolean' ? v : bad('must be true or false')));
  },
  number(what: string, test: (v: number) => boolean): Schema<number> {
    return schema(what, (v) => (typeof v === 'number' && Number.isFinite(v) && test(v) ? v : bad(`must be ${what}`)));
  },
  literal<const T extends string>(values: readonly T[], what?: string): Schema<T> {
    const expected = what ?? values.map((v) => `"${v}"`).join(' or ');
    return schema<T>(expected, (v) => ((values as readonly unknown[]).includes(v) ? (v as T) : (bad(`must be ${expected}`) as T)));
  },
  list<T>(item: Schema<T>, what: string, options: { nonEmpty?: boolean } = {}): Schema<T[]> {
    return {
      optional: false,
      expected: what,
      parse(value, path, problems) {
        if (!Array.isArray(value) || (options.nonEmpty && value.length === 0)) {
          problems.push({ field: path, problem: `must be ${what}` });
          return undefined;
        }
        const before = problems.length;
        const out = value.map((v, i) => item.parse(v, `${path}[${i}]`, problems));
        return problems.length === before ? (out as T[]) : undefined;
      },
    };
  },
  /** A value one of several shapes accepts (the first that takes it without a problem). */
  either<A, B>(a: Schema<A>, b: Schema<B>, what: string): Schema<A | B> {
    return {
      optional: false,
      expected: what,
      parse(value, path, problems) {
        for (const option of [a, b] as AnySchema[]) {
          const trial: ConfigProblem[] = [];
          const out = option.parse(value, path, trial);
          if (trial.length === 0) return out as A | B;
        }
        problems.push({ field: path, problem: `must be ${what}` });
        return undefined;
      },
    };
  },
  /** An object with exactly these keys (unknown keys are problems, each named). */
  object<S extends Shape>(shape: S, what = 'an object'): Schema<ObjectOf<S>> & { shape: S } {
    return {
      optional: false,
      expected: what,
      shape,
      parse(value, path, problems) {
        const here = (key: string) => (path ? `${path}.${key}` : key);
        if (!value || typeof value !== 'object' || Array.isArray(value)) {
          problems.push({ field: path || 'the default export', problem: `must be ${what}` });
          return undefined;
        }
        const record = value as Record<string, unknown>;
        const out: Record<string, unknown> = {};
        for (const key of Object.keys(record)) {
          if (!(key in shape)) problems.push({ field: here(key), problem: `is not a known option (known: ${Object.keys(shape).join(', ')})` });
        }
        for (const [key, field] of Object.entries(shape)) {
          if (record[key] === undefined) {
            if (!field.optional) problems.push({ field: here(key), problem: `is required (${field.expected})` });
            continue;
          }
          out[key] = field.parse(record[key], here(key), problems);
        }
        return out as ObjectOf<S>;
      },
    };
  },
  /** A map from free keys (that match `key`) to values of one schema. */
  record<T>(key: RegExp, keyRule: string, item: Schema<T>, what: string): Schema<Record<string, T>> {
    return {
      optional: false,
      expected: what,
      parse(value, path, problems) {
        if (!value || typeof value !== 'object' || Array.isArray(value) || Object.keys(value).length === 0) {
          problems.push({ field: path, problem: `must be ${what}` });
          return undefined;
        }
        const out: Record<string, T> = {};
        for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
          if (!key.test(k)) problems.push({ field: `${path}.${k}`, problem: `the key ${keyRule}` });
          out[k] = item.parse(v, `${path}.${k}`, problems) as T;
        }
        return out;
      },
    };
  },
  /** Anything a check function accepts (a value the kit has no word for: a function, a union with one). */
  custom<T>(what: string, accept: (v: unknown) => boolean): Schema<T> {
    return schema(what, (v) => (accept(v) ? (v as T) : bad(`must be ${what}`)));
  },
};
