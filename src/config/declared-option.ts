// `declare-option = name=opt1=$1;opt2=$2` (reference §3.7): a later `name = A B` stands for
// `opt1 = A` and `opt2 = B`. Observed on 2.0.21: the value is split on single spaces (an empty
// value is one empty word), a `$N` with no word stays as written, options declared with
// `declare-option` are immediate (their raw value is used) and those declared with
// `declare-option2` are applied at configure time (their value is expanded first).

export interface DeclaredOption {
  readonly template: string;
  readonly immediate: boolean;
}

/** The [option, value] pairs a use of a declared option stands for. */
export function expandDeclared(template: string, value: string): Array<[string, string]> {
  const words = value.split(' ');
  const out: Array<[string, string]> = [];
  for (const part of template.split(';')) {
    if (part.trim() === '') continue;
    const filled = part.replace(/\$([1-9])/g, (whole, n: string) => words[Number(n) - 1] ?? whole);
    const eq = filled.indexOf('=');
    out.push(eq < 0 ? [filled, ''] : [filled.slice(0, eq), filled.slice(eq + 1)]);
  }
  return out;
}
