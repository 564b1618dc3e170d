// A client of `lawful serve` in JavaScript: Node 20 or newer, its built-in fetch, no
// packages (docs/serve.md#clients).
//
//     lawful serve rules/examples/shop &
//     node examples/serve/client.mjs [URL] [EVENTS.jsonl]
//
// URL defaults to $LAWFUL_URL, else http://127.0.0.1:8181; a token, when the server
// asks for one, comes from $LAWFUL_TOKEN. It decides one event, then sends a
// JSON-lines batch (examples/serve/events.jsonl by default) and prints each decision
// as it is read from the response stream, in the same lines as client.py:
//
//     policy NAME DIGEST
//     decide EFFECT DIGEST FIRST-REASON
//     line N EFFECT DIGEST FIRST-REASON

import { createReadStream, readFileSync } from "node:fs";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";

const url = process.argv[2] ?? process.env.LAWFUL_URL ?? "http://127.0.0.1:8181";
const eventsPath = process.argv[3] ?? fileURLToPath(new URL("events.jsonl", import.meta.url));
const token = process.env.LAWFUL_TOKEN;
const auth = token ? { authorization: `Bearer ${token}` } : {};

const EVENT = {
  purpose: "billing", categories: ["contact.email", "payment.card"], destination: "DE",
  subject: { id: "u-1", age: 34, country: "DE" },
};

// Anything but an answered decision throws: the caller must then treat the
// processing as denied.
async function answered(response) {
  if (!response.ok) {
    throw new Error(`${response.status} ${await response.text()}`); // a problem document
  }
  return response;
}

async function decide(event) {
  const response = await answered(await fetch(`${url}/v1/decide`, {
    method: "POST",
    headers: { "content-type": "application/json", ...auth },
    body: JSON.stringify(event),
  }));
  const decision = await response.json();
  if (decision.digest !== response.headers.get("lawful-digest")) throw new Error("digests differ");
  return decision;
}

// Each decision of a JSON-lines batch as it arrives, with the number of the line it
// answers: the server answers every line that is not blank (JSON whitespace), in order.
async function* decideLines(path) {
  const answeredLines = readFileSync(path, "latin1").split("\n")
    .map((line, index) => [index + 1, line.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, "")])
    .filter(([, text]) => text !== "")
    .map(([number]) => number);
  const response = await answered(await fetch(`${url}/v1/decide/batch`, {
    method: "POST",
    headers: { "content-type": "application/x-ndjson", ...auth },
    body: Readable.toWeb(createReadStream(path)), // streamed, chunked
    duplex: "half",
  }));
  let pending = "";
  let index = 0;
  for await (const text of response.body.pipeThrough(new TextDecoderStream())) {
    pending += text;
    let end;
    while ((end = pending.indexOf("\n")) >= 0) {
      yield [answeredLines[index++], JSON.parse(pending.slice(0, end))];
      pending = pending.slice(end + 1);
    }
  }
  if (pending.trim() !== "" || index !== answeredLines.length) {
    throw new Error(`${index} decisions for ${answeredLines.length} lines`);
  }
}

function describe(decision) {
  const first = decision.reasons[0];
  let why = first === undefined ? "" : first.rule ?? first.kind;
  if (decision.allowed) {
    if (decision.obligations.length) why += ` obligations=${decision.obligations.join(",")}`;
  } else if (first !== undefined) {
    why += `: ${first.message}`;
  }
  return `${decision.effect} ${decision.digest} ${why}`.trimEnd();
}

const policy = await (await answered(await fetch(`${url}/v1/policy`, { headers: auth }))).json();
console.log("policy", policy.name, policy.digest);
console.log("decide", describe(await decide(EVENT)));
for await (const [number, decision] of decideLines(eventsPath)) {
  console.log(`line ${number}`, describe(decision));
}
