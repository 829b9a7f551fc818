// The bench's byte path (tests/host/harness/wire.ts): requests framed at the wire level must be the very bytes the
// proto stubs write, and responses split at the wire level must give the stubs' fields. A wrong field number fails here;
// tests/host/harness.test.ts runs the same path against the real provider host.
import * as path from "node:path";
import { decodeStruct, encodeStruct } from "../host/harness/providerHost";
import { FIELDS, fields, lastField, message } from "../host/harness/wire";

const pulumiDir = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
/* eslint-disable @typescript-eslint/no-explicit-any */
const provpb: any = require(path.join(pulumiDir, "proto", "provider_pb"));
const structpb: any = require(require.resolve("google-protobuf/google/protobuf/struct_pb", { paths: [pulumiDir] }));

const urn = "urn:pulumi:neve::neve-infra::pulumi-nodejs:dynamic/neve:HostConfig::haproxy";
const olds = { name: "old", files: [{ path: "/etc/x", content: "a\u00e9" }] };
const news = { name: "new ✓", n: 3, ok: true, none: null, __provider: "x".repeat(300) };
const s = (v: Record<string, unknown>) => structpb.Struct.fromJavaScript(v);
const bytes = (m: any) => Buffer.from(m.serializeBinary());

describe("engine stand-in byte path", () => {
  it("must frame Check, Diff, Create, Update and Read requests byte for byte as the stubs do", () => {
    const check = new provpb.CheckRequest();
    check.setUrn(urn);
    check.setOlds(s({}));
    check.setNews(s(news));
    const C = FIELDS.check;
    expect(
      message([
        [C.urn, urn],
        [C.olds, encodeStruct({})],
        [C.news, encodeStruct(news)],
      ]),
    ).toEqual(bytes(check));

    for (const [Req, F] of [
      [provpb.DiffRequest, FIELDS.diff],
      [provpb.UpdateRequest, FIELDS.update],
    ] as const) {
      const req = new Req();
      req.setId("neve:/etc/x");
      req.setUrn(urn);
      req.setOlds(s(olds));
      req.setNews(s(news));
      expect(
        message([
          [F.id, "neve:/etc/x"],
          [F.urn, urn],
          [F.olds, encodeStruct(olds)],
          [F.news, encodeStruct(news)],
        ]),
      ).toEqual(bytes(req));
    }

    const create = new provpb.CreateRequest();
    create.setUrn(urn);
    create.setProperties(s(news));
    expect(
      message([
        [FIELDS.create.urn, urn],
        [FIELDS.create.properties, encodeStruct(news)],
      ]),
    ).toEqual(bytes(create));

    const read = new provpb.ReadRequest();
    read.setId("neve:/etc/x");
    read.setUrn(urn);
    read.setProperties(s(olds));
    const R = FIELDS.read;
    expect(
      message([
        [R.id, "neve:/etc/x"],
        [R.urn, urn],
        [R.properties, encodeStruct(olds)],
      ]),
    ).toEqual(bytes(read));
  });

  it("must take inputs, id and properties out of the responses without decoding them, and see a check's failures", () => {
    const check = new provpb.CheckResponse();
    check.setInputs(s(news));
    const cf = fields(bytes(check));
    expect(lastField(cf, FIELDS.checkResponse.inputs)).toEqual(encodeStruct(news));
    expect(cf.has(FIELDS.checkResponse.failures)).toBe(false);
    const failure = new provpb.CheckFailure();
    failure.setProperty("files[0].path");
    failure.setReason("must be absolute");
    check.setFailuresList([failure]);
    expect(fields(bytes(check)).has(FIELDS.checkResponse.failures)).toBe(true);

    const create = new provpb.CreateResponse();
    create.setId("neve:/etc/x");
    create.setProperties(s(news));
    create.setRefreshBeforeUpdate(true); // a varint field must be skipped, not taken for a length
    const f = fields(bytes(create));
    expect(lastField(f, FIELDS.createResponse.id).toString("utf8")).toBe("neve:/etc/x");
    expect(decodeStruct(lastField(f, FIELDS.createResponse.properties))).toEqual(news);

    const update = new provpb.UpdateResponse();
    update.setProperties(s(olds));
    expect(decodeStruct(lastField(fields(bytes(update)), FIELDS.updateResponse.properties))).toEqual(olds);

    const read = new provpb.ReadResponse();
    read.setId("neve:/etc/y");
    read.setProperties(s(olds));
    read.setInputs(s(news));
    const rf = fields(bytes(read));
    expect(lastField(rf, FIELDS.readResponse.id).toString("utf8")).toBe("neve:/etc/y");
    expect(decodeStruct(lastField(rf, FIELDS.readResponse.properties))).toEqual(olds);
    expect(decodeStruct(lastField(rf, FIELDS.readResponse.inputs))).toEqual(news);
    expect(decodeStruct(lastField(fields(Buffer.alloc(0)), FIELDS.readResponse.inputs))).toEqual({});
  });

  it("must refuse a message cut short", () => {
    const create = new provpb.CreateResponse();
    create.setProperties(s(news));
    expect(() => fields(bytes(create).subarray(0, 20))).toThrow("field 2 runs past the end of the message");
  });
});
