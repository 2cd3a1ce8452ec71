// Argument checks shared by the public API: a wrong type is a TypeError that names the argument.
import { Duplex } from 'node:stream';

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object'
    ? `an instance of ${value.constructor?.name ?? 'Object'}`
    : `type ${typeof value}`;
}

/** A TypeError for an argument of the wrong type, with node's code for it (`ERR_INVALID_ARG_TYPE`). */
export function argTypeError(message: string, code = 'ERR_INVALID_ARG_TYPE'): TypeError {
  return Object.assign(new TypeError(message), { code });
}

/** A RangeError for an argument of the right type and a wrong value, with node's code (`ERR_OUT_OF_RANGE` for
 * a number out of its range, else `ERR_INVALID_ARG_VALUE`). */
export function argValueError(
  message: string,
  code = 'ERR_INVALID_ARG_VALUE',
  options?: ErrorOptions,
): RangeError {
  return Object.assign(new RangeError(message, options), { code });
}

function fail(name: string, expected: string, value: unknown): never {
  throw argTypeError(`The "${name}" argument must be ${expected}. Received ${describe(value)}`);
}

export function checkString(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string') fail(name, 'of type string', value);
}

export function checkNonEmptyString(value: unknown, name: string): asserts value is string {
  checkString(value, name);
  if (value.length === 0) throw argValueError(`The "${name}" argument must not be empty`);
}

export function checkBoolean(value: unknown, name: string): asserts value is boolean {
  if (typeof value !== 'boolean') fail(name, 'of type boolean', value);
}

export function checkInteger(
  value: unknown,
  name: string,
  min = -(2 ** 53),
  max = 2 ** 53,
): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value)) fail(name, 'an integer', value);
  if (value < min || value > max) {
    throw argValueError(
      `The "${name}" argument must be >= ${min} and <= ${max}. Received ${value}`,
      'ERR_OUT_OF_RANGE',
    );
  }
}

/** The longest delay a Node timer keeps (a longer one fires after 1 ms, with only a warning). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A delay in milliseconds that a timer will honour: an integer from `min` to {@link MAX_TIMER_MS}. */
export function checkDelay(value: unknown, name: string, min: number): asserts value is number {
  checkInteger(value, name, min, MAX_TIMER_MS);
}

export function checkStringArray(value: unknown, name: string): asserts value is readonly string[] {
  if (!Array.isArray(value)) throw argTypeError(`The "${name}" argument must be an array of strings`);
  value.forEach((item, i) => checkString(item, `${name}[${i}]`));
}

export function checkBuffer(value: unknown, name: string): asserts value is Buffer {
  if (!Buffer.isBuffer(value)) fail(name, 'a Buffer', value);
}

export function checkFunction(value: unknown, name: string): asserts value is (...args: never[]) => unknown {
  if (typeof value !== 'function') fail(name, 'a function', value);
}

export function checkDate(value: unknown, name: string): asserts value is Date {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) fail(name, 'a valid Date', value);
}

export function checkInstance<T>(
  value: unknown,
  type: abstract new (...args: never[]) => T,
  name: string,
): asserts value is T {
  if (!(value instanceof type)) fail(name, `an instance of ${type.name}`, value);
}

/** An options object: not null, an array, a Buffer (or other typed array) or a Date, whose fields would be ignored. */
export function checkObject(value: unknown, name: string): asserts value is object {
  if (
    typeof value !== 'object' ||
    value === null ||
    Array.isArray(value) ||
    ArrayBuffer.isView(value) ||
    value instanceof Date
  )
    fail(name, 'an object', value);
}

export function checkDuplex(value: unknown, name: string): asserts value is Duplex {
  if (!(value instanceof Duplex)) fail(name, 'a net.Socket or a stream.Duplex', value);
}

/** `'ipv4'` or `'ipv6'`, the address family of a socket or server. */
export function checkFamily(value: unknown, name: string): asserts value is 'ipv4' | 'ipv6' {
  if (value !== 'ipv4' && value !== 'ipv6') fail(name, "'ipv4' or 'ipv6'", value);
}

/** Like {@link checkInstance}, for a class whose module cannot be imported here: `brand` holds its instances. */
export function checkBrand(value: unknown, brand: WeakSet<object>, typeName: string, name: string): void {
  if (typeof value !== 'object' || value === null || !brand.has(value))
    fail(name, `an instance of ${typeName}`, value);
}
