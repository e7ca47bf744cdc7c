// The real client libraries users point at Ollama, through the exporter:
// npm's ollama (ollama-js) and openai (openai-node 6.x, the major that runs
// on Node 20). The fake Ollama and the exporter run as processes on
// 127.0.0.1. Asserts that what a client gets through the exporter is what it
// gets directly, that /v1 streams count their tokens with
// --openai-usage=inject although the client never asks for usage, and that
// a request Ollama cannot answer (502) is counted with its model.
//
// Usage: node real_clients_test.cjs CLIENTS_DIR EXPORTER_BIN FAKE_OLLAMA_BIN
//   CLIENTS_DIR: where exporter/tests/clients/install.sh put node_modules.
"use strict";
const { test, after } = require("node:test");
const assert = require("node:assert/strict");
const { spawn } = require("node:child_process");
const fs = require("node:fs");
const net = require("node:net");
const os = require("node:os");
const path = require("node:path");
const { createRequire } = require("node:module");

const [clientsDir, exporterBin, fakeBin] = process.argv.slice(2);
if (!clientsDir || !exporterBin || !fakeBin) throw new Error("usage: real_clients_test.cjs CLIENTS_DIR EXPORTER_BIN FAKE_OLLAMA_BIN");
const clients = createRequire(path.join(clientsDir, "package.json"));
const { Ollama } = clients("ollama");
const OpenAI = clients("openai").default;

const TOKENS = 8;
const MODEL = "qwen2.5:0.5b";
const logdir = fs.mkdtempSync(path.join(os.tmpdir(), "stackd-real-clients-"));
const children = [];

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

function start(name, argv, env) {
  const log = fs.openSync(path.join(logdir, `${name}.log`), "w");
  const child = spawn(argv[0], argv.slice(1), { env: { ...process.env, ...env }, stdio: ["ignore", log, log] });
  children.push(child);
  return child;
}

async function waitHttp(port, p) {
  const deadline = Date.now() + 15000;
  for (;;) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}${p}`);
      await r.arrayBuffer();
      return;
    } catch (e) {
      if (Date.now() > deadline) throw new Error(`nothing answered on 127.0.0.1:${port}${p}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

// {name{labels}: value} of the exporter's /metrics.
async function metrics(port) {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const out = new Map();
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const at = line.lastIndexOf(" ");
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}
const series = (name, labels) =>
  `${name}{${Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(",")}}`;
async function delta(port, before, name, labels) {
  const key = series(name, labels);
  return ((await metrics(port)).get(key) ?? 0) - (before.get(key) ?? 0);
}

let fakePort, exporterPort, deadExporterPort;

const ready = (async () => {
  fakePort = await freePort();
  exporterPort = await freePort();
  deadExporterPort = await freePort();
  const nothing = await freePort();  // nothing listens here: an Ollama that is down
  start("fake-ollama", [fakeBin], { OLLAMA_HOST: `127.0.0.1:${fakePort}`, FAKE_OLLAMA_TOKEN_DELAY_MS: "5",
                                    FAKE_OLLAMA_TOKENS: String(TOKENS), FAKE_OLLAMA_LOAD_MS: "20" });
  await waitHttp(fakePort, "/api/version");
  start("exporter", [exporterBin, "--upstream", `http://127.0.0.1:${fakePort}`, "--listen", `127.0.0.1:${exporterPort}`,
                     "--openai-usage", "inject", "--poll-interval-ms", "200"]);
  start("exporter-dead", [exporterBin, "--upstream", `http://127.0.0.1:${nothing}`, "--listen",
                          `127.0.0.1:${deadExporterPort}`, "--poll-interval-ms", "200"]);
  await waitHttp(exporterPort, "/metrics");
  await waitHttp(deadExporterPort, "/metrics");
})();

after(() => {
  for (const c of children) c.kill("SIGTERM");
});

// The parts of an OpenAI chunk that are the same for the same answer.
const stable = (chunk) => {
  const { id, created, ...rest } = chunk;
  return JSON.parse(JSON.stringify(rest));
};

test("openai-node: a stream is the same through the exporter and its tokens are counted", async () => {
  await ready;
  const params = { model: MODEL, stream: true, messages: [{ role: "user", content: "why is the sky blue" }] };
  const collect = async (port) => {
    const client = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: "ollama", maxRetries: 0 });
    const chunks = [];
    for await (const chunk of await client.chat.completions.create(params)) chunks.push(chunk);
    return chunks;
  };
  const direct = await collect(fakePort);
  const before = await metrics(exporterPort);
  const through = await collect(exporterPort);
  assert.deepEqual(through.map(stable), direct.map(stable));
  assert.equal(through.map((c) => c.choices[0]?.delta?.content ?? "").join(""),
               direct.map((c) => c.choices[0]?.delta?.content ?? "").join(""));
  assert.ok(through.every((c) => c.usage === undefined), "the client sees no usage it did not ask for");
  assert.equal(await delta(exporterPort, before, "ollama_generated_tokens_total", { model: MODEL }), TOKENS);
  assert.equal(await delta(exporterPort, before, "ollama_prompt_tokens_total", { model: MODEL }), 5 + 10);
  assert.equal(await delta(exporterPort, before, "ollama_requests_total",
                           { endpoint: "/v1/chat/completions", model: MODEL, status: "200" }), 1);
});

test("openai-node: a client that asks for usage gets it once, and a plain answer is unchanged", async () => {
  await ready;
  const client = (port) => new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: "ollama", maxRetries: 0 });
  const params = { model: MODEL, stream: true, stream_options: { include_usage: true },
                   messages: [{ role: "user", content: "hi" }] };
  const usages = [];
  const before = await metrics(exporterPort);
  for await (const chunk of await client(exporterPort).chat.completions.create(params)) if (chunk.usage) usages.push(chunk.usage);
  assert.equal(usages.length, 1);
  assert.equal(usages[0].completion_tokens, TOKENS);
  assert.equal(await delta(exporterPort, before, "ollama_generated_tokens_total", { model: MODEL }), TOKENS);
  const plain = { model: MODEL, messages: [{ role: "user", content: "hi" }] };
  const direct = await client(fakePort).chat.completions.create(plain);
  const through = await client(exporterPort).chat.completions.create(plain);
  assert.deepEqual(stable(through), stable(direct));
});

test("ollama-js: chat and generate are the same through the exporter and counted", async () => {
  await ready;
  const direct = new Ollama({ host: `http://127.0.0.1:${fakePort}` });
  const through = new Ollama({ host: `http://127.0.0.1:${exporterPort}` });
  const chat = async (client) => {
    let text = "";
    let last;
    for await (const part of await client.chat({ model: MODEL, stream: true, messages: [{ role: "user", content: "hi" }] })) {
      text += part.message.content;
      last = part;
    }
    return { text, last };
  };
  const before = await metrics(exporterPort);
  const a = await chat(direct);
  const b = await chat(through);
  assert.equal(b.text, a.text);
  assert.equal(b.last.done, true);
  assert.equal(b.last.done_reason, "stop");
  assert.equal(b.last.eval_count, a.last.eval_count);
  const g = await through.generate({ model: MODEL, prompt: "tell me [tokens:20]", options: { num_predict: 3 } });
  assert.equal(g.done_reason, "length");
  assert.equal(g.response, (await direct.generate({ model: MODEL, prompt: "tell me [tokens:20]", options: { num_predict: 3 } })).response);
  assert.equal(await delta(exporterPort, before, "ollama_generated_tokens_total", { model: MODEL }), TOKENS + 3);
  assert.equal(await delta(exporterPort, before, "ollama_requests_finished_total", { model: MODEL, reason: "length" }), 1);
});

test("both clients: the 502 of an Ollama that is down is counted with its model", async () => {
  await ready;
  const before = await metrics(deadExporterPort);
  const openai = new OpenAI({ baseURL: `http://127.0.0.1:${deadExporterPort}/v1`, apiKey: "ollama", maxRetries: 0 });
  await assert.rejects(openai.chat.completions.create({ model: MODEL, stream: true, messages: [{ role: "user", content: "hi" }] }),
                       (e) => e.status === 502);
  const ollama = new Ollama({ host: `http://127.0.0.1:${deadExporterPort}` });
  await assert.rejects(ollama.chat({ model: "llama3.2:1b", messages: [{ role: "user", content: "hi" }] }),
                       (e) => e.status_code === 502);
  assert.equal(await delta(deadExporterPort, before, "ollama_requests_total",
                           { endpoint: "/v1/chat/completions", model: MODEL, status: "502" }), 1);
  assert.equal(await delta(deadExporterPort, before, "ollama_request_errors_total",
                           { endpoint: "/v1/chat/completions", model: MODEL, kind: "upstream_unreachable" }), 1);
  assert.equal(await delta(deadExporterPort, before, "ollama_requests_total",
                           { endpoint: "/api/chat", model: "llama3.2:1b", status: "502" }), 1);
  const m = await metrics(deadExporterPort);
  assert.equal([...m.keys()].filter((k) => k.startsWith("ollama_requests_total{") && k.includes('model=""')).length, 0);
});
