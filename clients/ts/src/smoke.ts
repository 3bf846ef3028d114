/**
 * Smoke client: connect to a midstream-mcp server over streamable HTTP with the
 * official TypeScript SDK, list tools, call temporal-compare, check a bad call.
 *
 *   npx tsx src/smoke.ts http://127.0.0.1:8765/mcp
 *
 * Prints one JSON line with what it saw; exits non-zero on any mismatch.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

type Structured = Record<string, unknown>;

function fail(message: string): never {
  console.error(`smoke: ${message}`);
  process.exit(1);
}

async function main(): Promise<void> {
  const url = process.argv[2];
  if (!url) fail("usage: smoke.ts <mcp-url>");

  const client = new Client({ name: "midstream-ts-smoke", version: "0.1.0" });
  const transport = new StreamableHTTPClientTransport(new URL(url));
  await client.connect(transport);
  if (!transport.sessionId) fail("the server assigned no session id");

  const { tools } = await client.listTools();
  const names = tools.map((t) => t.name).sort();
  for (const required of ["compare_sequences", "compare_many", "find_pattern"]) {
    if (!names.includes(required)) fail(`tool ${required} missing from ${names.join(", ")}`);
    const tool = tools.find((t) => t.name === required);
    if (!tool?.outputSchema) fail(`tool ${required} has no outputSchema`);
  }

  const zero = await client.callTool({
    name: "compare_sequences",
    arguments: { a: [1, 2, 3], b: [1, 2, 2, 3] },
  });
  const nonTrivial = await client.callTool({
    name: "compare_sequences",
    arguments: { a: [0, 1, 2, 3, 2.5, 1], b: [0, 0.5, 2, 2, 3.5, 1.5, 1], return_path: true },
  });
  const lcs = await client.callTool({
    name: "compare_sequences",
    arguments: { a: "ABCBDAB", b: "BDCABA", method: "lcs" },
  });
  const bad = await client.callTool({
    name: "compare_sequences",
    arguments: { a: [1, 2], b: [[1, 2], [3, 4]] },
  });
  const after = await client.callTool({
    name: "compare_sequences",
    arguments: { a: "kitten", b: "sitting", method: "edit" },
  });
  await transport.terminateSession(); // DELETE: the server drops the session now, not at timeout
  await client.close();

  for (const [label, r] of Object.entries({ zero, nonTrivial, lcs, after })) {
    if (r.isError) fail(`${label} returned an error: ${JSON.stringify(r.content)}`);
    if (!r.structuredContent) fail(`${label} has no structuredContent`);
  }
  const badText = JSON.stringify(bad.content);
  if (!bad.isError) fail("bad arguments did not produce isError");
  if (!/\bb:/.test(badText)) fail(`the error does not name the field b: ${badText}`);

  // Values known without computing: identical up to a repeat, the textbook LCS, kitten -> sitting.
  const expected: Array<[string, unknown, unknown]> = [
    ["dtw([1,2,3],[1,2,2,3])", (zero.structuredContent as Structured).distance, 0],
    ["lcs_length", (lcs.structuredContent as Structured).lcs_length, 4],
    ["edit distance", (after.structuredContent as Structured).distance, 3],
  ];
  for (const [label, got, want] of expected) {
    if (got !== want) fail(`${label}: got ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
  }
  const dtw = (nonTrivial.structuredContent as Structured).distance;
  if (typeof dtw !== "number" || !(dtw > 0)) fail(`non-trivial DTW distance: ${JSON.stringify(dtw)}`);

  console.log(
    JSON.stringify({
      protocol: transport.protocolVersion,
      server: client.getServerVersion()?.name,
      tools: names,
      dtw_zero: (zero.structuredContent as Structured).distance,
      dtw: (nonTrivial.structuredContent as Structured).distance,
      path: (nonTrivial.structuredContent as Structured).path,
      lcs_length: (lcs.structuredContent as Structured).lcs_length,
      edit_distance: (after.structuredContent as Structured).distance,
      bad_is_error: bad.isError,
      bad_text: badText,
    }),
  );
}

main().catch((err: unknown) => fail(String(err instanceof Error ? err.stack : err)));
