// What reload-on-exception-type / -value / -repr compare (reference §2.3), for anything a JS app
// can throw. uWSGI's Python plugin means the class name, str(exception) and "Class: message"; in
// 2.0.21 the core compares all three lists to str(exception) (test/fixtures/
// uwsgi-2.0.21-app-api.json): we follow the documented meaning (README "Operations").

export interface ExceptionFacts {
  /** The constructor's name (`TypeError`, `MyError`), else `name`, else `typeof` for a primitive. */
  readonly type: string;
  /** `message` for an Error (or anything with a string `message`), String(value) otherwise. */
  readonly value: string;
  /** `${type}: ${value}`: the first line of the stack for a built-in Error, as Python prints it. */
  readonly repr: string;
}

/** A string property of something the app threw; a throwing getter or proxy counts as none. */
function stringProp(value: object, read: (v: Record<string, unknown>) => unknown): string | undefined {
  try {
    const found = read(value as Record<string, unknown>);
    return typeof found === 'string' ? found : undefined;
  } catch {
    return undefined;
  }
}

function constructorName(value: object): string | undefined {
  const name = stringProp(value, (v) => (v['constructor'] as { name?: unknown } | undefined)?.name);
  return name === '' ? undefined : name;
}

function text(value: unknown): string {
  try {
    return String(value);
  } catch {
    // Object.create(null), a throwing toString: still something to compare
    return Object.prototype.toString.call(value);
  }
}

export function exceptionFacts(thrown: unknown): ExceptionFacts {
  let type: string;
  let value: string;
  if (typeof thrown === 'object' && thrown !== null) {
    type = constructorName(thrown) ?? (stringProp(thrown, (v) => v['name']) || 'Object');
    value = stringProp(thrown, (v) => v['message']) ?? text(thrown);
  } else {
    // `throw 'text'`, `throw 42`, `throw undefined`: the wrapper's name, as (42).constructor.name
    type =
      thrown === null || thrown === undefined
        ? String(thrown)
        : (constructorName(Object(thrown)) ?? typeof thrown);
    value = text(thrown);
  }
  return { type, value, repr: `${type}: ${value}` };
}
