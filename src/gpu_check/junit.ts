/**
 * Reading `deno test --junit-path` reports: one record per test case with its status,
 * time and failure message. Deno writes a plain, regular subset of JUnit XML (no
 * CDATA, attributes in double quotes), so a few regular expressions read it.
 */

/** One test case. */
export interface TestCase {
  name: string;
  /** The test's file (Deno's classname: the file that called Deno.test). */
  where: string;
  status: "passed" | "failed" | "skipped";
  seconds: number | null;
  message?: string;
}

const CASE = /<testcase\b([^>]*?)(\/>|>([\s\S]*?)<\/testcase>)/g;
const ATTR = /([\w:-]+)="([^"]*)"/g;

/** The test cases of a report, in its order. */
export function parseJunit(xml: string): TestCase[] {
  const cases: TestCase[] = [];
  for (const m of xml.matchAll(CASE)) {
    const attrs = attributes(m[1]);
    const body = m[3] ?? "";
    const failure = /<(failure|error)\b([^>]*?)(\/>|>([\s\S]*?)<\/\1>)/.exec(body);
    const time = attrs.time === undefined ? null : Number(attrs.time);
    const test: TestCase = {
      name: attrs.name ?? "",
      where: attrs.classname ?? "",
      status: failure ? "failed" : /<skipped\b/.test(body) ? "skipped" : "passed",
      seconds: time !== null && Number.isFinite(time) ? time : null,
    };
    if (failure) {
      const detail = attributes(failure[2]).message ?? decode(failure[4] ?? "");
      test.message = detail.trim().split("\n").slice(0, 3).join(" | ").slice(0, 500);
    }
    cases.push(test);
  }
  return cases;
}

function attributes(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [, key, value] of text.matchAll(ATTR)) out[key] = decode(value);
  return out;
}

const ENTITIES: Record<string, string> = {
  "&lt;": "<",
  "&gt;": ">",
  "&quot;": '"',
  "&apos;": "'",
  "&amp;": "&",
};

function decode(text: string): string {
  return text.replace(
    /&(lt|gt|quot|apos|amp);|&#(\d+);|&#x([0-9a-f]+);/gi,
    (all, _n, dec, hex) =>
      dec !== undefined
        ? String.fromCodePoint(Number(dec))
        : hex !== undefined
        ? String.fromCodePoint(parseInt(hex, 16))
        : ENTITIES[all.toLowerCase()],
  );
}
