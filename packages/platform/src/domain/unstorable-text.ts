import { type DescField, type DescMessage, type Message, ScalarType } from "@bufbuild/protobuf";
import { fieldPath } from "./field-path.js";

/** A string field of a request that holds something that is not storable text. */
export interface TextViolation {
  /** The field as the proto spells it, in {@link fieldPath} notation: `customer.email`. */
  readonly field: string;
  /** What is wrong, without echoing the value: `must not contain NUL characters (U+0000)`. */
  readonly problem: string;
}

// C0 controls, DEL and C1 controls. Free text keeps TAB, LF and CR; every other field is one
// line of printable text (ids, tokens, names, emails, order numbers, page tokens).
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const controlsInLine = /[\u0000-\u001f\u007f-\u009f]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const controlsInFreeText = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;

// Native since Node 20; the es2023 library this repository compiles against does not declare it.
const isWellFormed = (String.prototype as unknown as { isWellFormed(this: string): boolean })
  .isWellFormed;

/**
 * What is wrong with `value` as stored text, or undefined when nothing is: a NUL (Postgres
 * cannot store it in `text`), another control character (TAB, LF and CR are fine where
 * `freeText`), or an unpaired surrogate (not Unicode, so not UTF-8 either).
 */
export function textProblem(value: string, freeText: boolean): string | undefined {
  const control = (freeText ? controlsInFreeText : controlsInLine).exec(value)?.[0];
  if (control !== undefined) {
    const code = codePoint(control.charCodeAt(0));
    if (control === "\u0000") return `must not contain NUL characters (${code})`;
    return freeText
      ? `must not contain control characters other than tab and line breaks (found ${code})`
      : `must not contain control characters (found ${code})`;
  }
  if (!isWellFormed.call(value)) {
    return "must be valid Unicode text (found an unpaired surrogate)";
  }
  return undefined;
}

/**
 * The first string in `message` (any depth: nested and repeated messages, map keys and
 * values, the set member of a oneof) that is not storable text, or undefined. Where prose
 * belongs (`description`, `reason`, `*_reason`, `*_description` and `metadata` values) TAB, LF
 * and CR are allowed; see {@link textProblem}. Only fields that can hold a string are visited,
 * worked out once per message type from its descriptor; values are read straight from the
 * message (protobuf-es v2's plain-object shape), as `reflect()` wrappers would double the cost.
 */
export function unstorableText(schema: DescMessage, message: Message): TextViolation | undefined {
  return violationIn(schema, message as unknown as Fields, "");
}

/** A message as protobuf-es represents it: a plain object keyed by each field's local name. */
type Fields = Record<string, unknown>;

function violationIn(
  desc: DescMessage,
  message: Fields,
  prefix: string,
): TextViolation | undefined {
  for (const { field, freeText } of textFieldsOf(desc)) {
    const value = fieldValue(message, field);
    if (value === undefined) continue;
    if (field.fieldKind === "scalar") {
      const problem = textProblem(value as string, freeText);
      if (problem) return { field: fieldPath.nested(prefix, field.name), problem };
      continue;
    }
    const name = fieldPath.nested(prefix, field.name);
    switch (field.fieldKind) {
      case "message": {
        const violation = violationIn(field.message, value as Fields, name);
        if (violation) return violation;
        break;
      }
      case "list": {
        // Only lists of strings or of messages hold text (see holdsText).
        const itemMessage = field.listKind === "message" ? field.message : undefined;
        const items = value as unknown[];
        for (let index = 0; index < items.length; index++) {
          const at = () => fieldPath.item(name, index);
          const violation = elementViolation(items[index], itemMessage, freeText, at);
          if (violation) return violation;
        }
        break;
      }
      case "map": {
        const valueMessage = field.mapKind === "message" ? field.message : undefined;
        const textValues =
          valueMessage !== undefined ||
          (field.mapKind === "scalar" && field.scalar === ScalarType.STRING);
        for (const [key, entry] of Object.entries(value as Fields)) {
          // Map keys are object keys: strings whatever the key type, checked only for string maps.
          const keyProblem = field.mapKey === ScalarType.STRING && textProblem(key, false);
          if (keyProblem) return { field: name, problem: `keys ${keyProblem}` };
          if (!textValues) continue;
          const at = () => fieldPath.entry(name, key);
          const violation = elementViolation(entry, valueMessage, freeText, at);
          if (violation) return violation;
        }
        break;
      }
    }
  }
  return undefined;
}

/** A list item or map value: a message to walk, or a string to check; `at` names it. */
function elementViolation(
  element: unknown,
  message: DescMessage | undefined,
  freeText: boolean,
  at: () => string,
): TextViolation | undefined {
  if (message) return violationIn(message, element as Fields, at());
  const problem = textProblem(element as string, freeText);
  return problem ? { field: at(), problem } : undefined;
}

/** The field's value in `message`; for a oneof member only while it is the chosen case. */
function fieldValue(message: Fields, field: DescField): unknown {
  if (!field.oneof) return message[field.localName];
  const chosen = message[field.oneof.localName] as { case?: string; value?: unknown } | undefined;
  return chosen?.case === field.localName ? chosen.value : undefined;
}

/** A field that can hold a string somewhere, and whether its strings are free text. */
interface TextField {
  readonly field: DescField;
  readonly freeText: boolean;
}

const textFields = new WeakMap<DescMessage, readonly TextField[]>();

function textFieldsOf(desc: DescMessage): readonly TextField[] {
  let fields = textFields.get(desc);
  if (!fields) {
    fields = desc.fields
      .filter((field) => holdsText(field, new Set()))
      .map((field) => ({ field, freeText: isFreeText(field) }));
    textFields.set(desc, fields);
  }
  return fields;
}

/** Fields where people write prose, so line breaks and tabs are text there. */
function isFreeText(field: DescField): boolean {
  const { name } = field;
  if (field.fieldKind === "map") return name === "metadata";
  return (
    name === "description" ||
    name === "reason" ||
    name.endsWith("_description") ||
    name.endsWith("_reason")
  );
}

// `path` holds the message types being examined: a recursive type adds nothing new when it
// comes round again, since its own fields are examined where it first appeared.
function holdsText(field: DescField, path: Set<DescMessage>): boolean {
  switch (field.fieldKind) {
    case "scalar":
      return field.scalar === ScalarType.STRING;
    case "enum":
      return false;
    case "message":
      return messageHoldsText(field.message, path);
    case "list":
      if (field.listKind === "scalar") return field.scalar === ScalarType.STRING;
      return field.listKind === "message" && messageHoldsText(field.message, path);
    case "map":
      if (field.mapKey === ScalarType.STRING) return true;
      if (field.mapKind === "scalar") return field.scalar === ScalarType.STRING;
      return field.mapKind === "message" && messageHoldsText(field.message, path);
  }
}

function messageHoldsText(desc: DescMessage, path: Set<DescMessage>): boolean {
  if (path.has(desc)) return false;
  path.add(desc);
  const holds = desc.fields.some((field) => holdsText(field, path));
  path.delete(desc);
  return holds;
}

function codePoint(code: number): string {
  return `U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
}
