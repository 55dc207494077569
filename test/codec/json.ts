import { expect } from "chai";

import { bigintReplacer, toJson } from "../../src/codec/json.js";

describe("bigint JSON (src/codec/json.ts)", function () {
  it("writes bigints as decimal strings at every depth, everything else as JSON.stringify does", function () {
    const value = { a: 1n, b: [2n ** 64n, 3], c: { d: -5n, e: "x", f: null, g: true }, h: undefined };
    expect(toJson(value)).to.equal('{"a":"1","b":["18446744073709551616",3],"c":{"d":"-5","e":"x","f":null,"g":true}}');
    expect(toJson(7n)).to.equal('"7"');
    expect(toJson({ a: 1 }, 2)).to.equal(JSON.stringify({ a: 1 }, null, 2));
    expect(() => JSON.stringify({ a: 1n })).to.throw(TypeError);
  });

  it("is a replacer JSON.stringify takes as it is", function () {
    expect(JSON.stringify([1n, { n: 2n }], bigintReplacer)).to.equal('["1",{"n":"2"}]');
  });
});
