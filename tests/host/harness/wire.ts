/**
 * Protocol-buffer wire format for the engine stand-in's byte path (providerHost.ts `wire`): requests built as
 * tag + length + bytes around Struct bytes encoded once, responses split into their top-level fields without
 * decoding the Structs inside, as the Go engine handles them at memcpy speed. Pure: no protobuf runtime here.
 *
 * Field numbers, from pulumi's provider.proto as compiled into @pulumi/pulumi/proto/provider_pb.js
 * (`serializeBinaryToWriter` of each message):
 * - CheckRequest: urn 1, olds 2, news 3;              CheckResponse: inputs 1, failures 2 (repeated CheckFailure);
 * - DiffRequest: id 1, urn 2, olds 3, news 4;         DiffResponse: decoded with the stubs (small, no Struct);
 * - CreateRequest: urn 1, properties 2;               CreateResponse: id 1, properties 2;
 * - UpdateRequest: id 1, urn 2, olds 3, news 4;       UpdateResponse: properties 1;
 * - ReadRequest: id 1, urn 2, properties 3;           ReadResponse: id 1, properties 2, inputs 3.
 * Only the fields the object path sets are written, in field order, so a request's bytes equal the stubs' own.
 */

/** The fields a request carries: a string (UTF-8) or already-encoded message bytes, by field number. */
export type WireField = [field: number, value: string | Uint8Array];

/** Numbers of the fields used by the byte path (see the module comment for their source). */
export const FIELDS = {
  check: { urn: 1, olds: 2, news: 3 },
  checkResponse: { inputs: 1, failures: 2 },
  diff: { id: 1, urn: 2, olds: 3, news: 4 },
  create: { urn: 1, properties: 2 },
  createResponse: { id: 1, properties: 2 },
  update: { id: 1, urn: 2, olds: 3, news: 4 },
  updateResponse: { properties: 1 },
  read: { id: 1, urn: 2, properties: 3 },
  readResponse: { id: 1, properties: 2, inputs: 3 },
} as const;

const LEN = 2; // wire type of strings, bytes and embedded messages

function varint(n: number): Buffer {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return Buffer.from(out);
}

/**
 * One message from its fields: each as tag, length, bytes. A string field that is empty is left out (proto3 writes
 * no default); a message field is always written, also when empty, because the provider host reads e.g. `olds`
 * unconditionally (`req.getOlds().toJavaScript()`).
 */
export function message(fields: WireField[]): Buffer {
  const parts: Buffer[] = [];
  for (const [field, value] of fields) {
    const bytes = typeof value === "string" ? Buffer.from(value, "utf8") : value;
    if (typeof value === "string" && bytes.length === 0) continue;
    parts.push(varint(field * 8 + LEN), varint(bytes.length), Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }
  return Buffer.concat(parts);
}

/** The length-delimited top-level fields of a message, by field number, in order (views into `msg`, no copies). */
export function fields(msg: Uint8Array): Map<number, Buffer[]> {
  const buf = Buffer.from(msg.buffer, msg.byteOffset, msg.byteLength);
  const out = new Map<number, Buffer[]>();
  let at = 0;
  const readVarint = (): number => {
    let n = 0;
    let scale = 1;
    for (;;) {
      if (at >= buf.length) throw new Error("protobuf message cut short inside a varint");
      const b = buf[at++];
      n += (b & 0x7f) * scale;
      if (b < 0x80) return n;
      scale *= 0x80;
    }
  };
  while (at < buf.length) {
    const tag = readVarint();
    const field = Math.floor(tag / 8);
    const type = tag % 8;
    if (type === 0) readVarint();
    else if (type === 1) at += 8;
    else if (type === 5) at += 4;
    else if (type === LEN) {
      const n = readVarint();
      if (at + n > buf.length) throw new Error(`protobuf field ${field} runs past the end of the message`);
      out.set(field, [...(out.get(field) ?? []), buf.subarray(at, at + n)]);
      at += n;
    } else throw new Error(`protobuf wire type ${type} (field ${field}) is not used by these messages`);
    if (at > buf.length) throw new Error(`protobuf field ${field} runs past the end of the message`);
  }
  return out;
}

/** A singular length-delimited field (its last occurrence; the provider host writes each once), or empty bytes. */
export function lastField(f: Map<number, Buffer[]>, field: number): Buffer {
  const all = f.get(field);
  return all?.length ? all[all.length - 1] : Buffer.alloc(0);
}
