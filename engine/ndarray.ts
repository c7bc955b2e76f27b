/** Small helpers for typed n-d arrays: construction by dtype, size, slicing along the first axis. */
import type { DType, NDArray, TypedArray } from './types.ts';

const CTORS = {
  uint8: Uint8Array,
  uint16: Uint16Array,
  uint32: Uint32Array,
  int8: Int8Array,
  int16: Int16Array,
  int32: Int32Array,
  float32: Float32Array,
  float64: Float64Array,
} as const;

export function ctorOf(dtype: DType) {
  const c = CTORS[dtype];
  if (!c) throw new Error(`unknown dtype ${dtype}`);
  return c;
}

export function dtypeOf(a: TypedArray): DType {
  if (a instanceof Uint8Array) return 'uint8';
  if (a instanceof Uint16Array) return 'uint16';
  if (a instanceof Uint32Array) return 'uint32';
  if (a instanceof Int8Array) return 'int8';
  if (a instanceof Int16Array) return 'int16';
  if (a instanceof Int32Array) return 'int32';
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  throw new Error('not a supported typed array');
}

export function bytesPerElement(dtype: DType): number {
  return ctorOf(dtype).BYTES_PER_ELEMENT;
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

export function nd<T extends TypedArray>(data: T, shape: number[]): NDArray<T> {
  if (sizeOf(shape) !== data.length) {
    throw new Error(`shape [${shape}] has ${sizeOf(shape)} elements, data has ${data.length}`);
  }
  return { dtype: dtypeOf(data), shape, data };
}

export function zeros(dtype: DType, shape: number[]): NDArray {
  const C = ctorOf(dtype);
  return { dtype, shape, data: new C(sizeOf(shape)) };
}

export function f32(shape: number[], data?: ArrayLike<number>): NDArray<Float32Array> {
  const a = new Float32Array(sizeOf(shape));
  if (data) a.set(data);
  return { dtype: 'float32', shape, data: a };
}

export function f64(shape: number[], data?: ArrayLike<number>): NDArray<Float64Array> {
  const a = new Float64Array(sizeOf(shape));
  if (data) a.set(data);
  return { dtype: 'float64', shape, data: a };
}

/** A typed-array view (no copy) onto raw bytes; copies only when the offset is misaligned. */
export function viewBytes(dtype: DType, bytes: Uint8Array): TypedArray {
  const C = ctorOf(dtype);
  const bpe = C.BYTES_PER_ELEMENT;
  if (bytes.byteLength % bpe !== 0)
    throw new Error(`${bytes.byteLength} bytes is not a whole number of ${dtype}`);
  if (bytes.byteOffset % bpe === 0)
    return new C(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength / bpe);
  const copy = new Uint8Array(bytes);
  return new C(copy.buffer, 0, bytes.byteLength / bpe);
}

export function asBytes(a: TypedArray): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Rows [start, start+count) along the first axis, as a view. */
export function sliceFirst(a: NDArray, start: number, count: number): NDArray {
  const inner = sizeOf(a.shape.slice(1));
  return {
    dtype: a.dtype,
    shape: [count, ...a.shape.slice(1)],
    data: a.data.subarray(start * inner, (start + count) * inner) as TypedArray,
  };
}

/** Concatenate along the first axis (all parts share dtype and trailing shape). */
export function concatFirst(parts: NDArray[]): NDArray {
  if (parts.length === 0) throw new Error('nothing to concatenate');
  const inner = parts[0].shape.slice(1);
  const total = parts.reduce((s, p) => s + p.shape[0], 0);
  const out = zeros(parts[0].dtype, [total, ...inner]);
  let off = 0;
  for (const p of parts) {
    out.data.set(p.data as never, off);
    off += p.data.length;
  }
  return out;
}

/**
 * concatFirst for parts that arrive one at a time, without holding them: while each part has the
 * expected number of rows (a chunk's positions), it is copied straight into one array allocated for
 * `total` rows from the first part's dtype and inner shape; otherwise the parts are kept and
 * concatenated at the end. Either way the result equals concatFirst of the same parts.
 */
export class FirstAxisGather {
  private out: NDArray | null = null;
  private parts: NDArray[] = [];
  private rows = 0;
  private offset = 0;

  constructor(private readonly total: number) {}

  add(a: NDArray, expectedRows: number): void {
    if (this.parts.length === 0 && this.out === null && a.shape[0] === expectedRows)
      this.out = zeros(a.dtype, [this.total, ...a.shape.slice(1)]);
    const out = this.out;
    if (out && a.shape[0] === expectedRows && this.offset + a.data.length <= out.data.length) {
      out.data.set(a.data as never, this.offset);
    } else {
      if (out)
        this.parts.push({
          dtype: out.dtype,
          shape: [this.rows, ...out.shape.slice(1)],
          data: out.data.slice(0, this.offset),
        });
      this.out = null;
      this.parts.push(a);
    }
    this.rows += a.shape[0];
    this.offset += a.data.length;
  }

  result(): NDArray {
    if (this.out) {
      if (this.rows === this.total) return this.out;
      return {
        dtype: this.out.dtype,
        shape: [this.rows, ...this.out.shape.slice(1)],
        data: this.out.data.slice(0, this.offset),
      };
    }
    return concatFirst(this.parts);
  }
}

export function toFloat32(a: NDArray): NDArray<Float32Array> {
  if (a.data instanceof Float32Array) return a as NDArray<Float32Array>;
  return { dtype: 'float32', shape: a.shape, data: Float32Array.from(a.data as ArrayLike<number>) };
}

/** Largest representable value of an integer dtype (saturation level); Infinity for floats. */
export function dtypeMax(dtype: DType): number {
  switch (dtype) {
    case 'uint8':
      return 255;
    case 'uint16':
      return 65535;
    case 'uint32':
      return 4294967295;
    case 'int8':
      return 127;
    case 'int16':
      return 32767;
    case 'int32':
      return 2147483647;
    default:
      return Infinity;
  }
}
