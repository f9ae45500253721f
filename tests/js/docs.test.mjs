// docs/realtime-client.md shows the client code the other tests run: each code block
// marked `<!-- tests/js/<file> -->` must be that file, byte for byte.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import { ROOT } from "./support/server.mjs";

const DOC = join(ROOT, "docs", "realtime-client.md");

function markedBlocks(markdown) {
  const blocks = new Map();
  const pattern = /<!-- (tests\/js\/[\w.-]+) -->\n```js\n([\s\S]*?)```\n/g;
  for (const [, file, code] of markdown.matchAll(pattern)) blocks.set(file, code);
  return blocks;
}

test("the docs show client.mjs and the page example exactly as the tests run them", () => {
  const blocks = markedBlocks(readFileSync(DOC, "utf8"));
  assert.deepEqual([...blocks.keys()].sort(), ["tests/js/client.mjs", "tests/js/example-miniprogram.mjs"]);
  for (const [file, code] of blocks) {
    assert.equal(code, readFileSync(join(ROOT, file), "utf8"), `${file} and its copy in docs/realtime-client.md differ`);
  }
});
