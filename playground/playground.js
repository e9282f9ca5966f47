// The playground: builds a v1 request from the form, sends it to this server twice (JSON for
// the output, Accept: image/svg+xml for the heatmap) and shows both, or the API's error as sent.
// Plain JavaScript with no dependency, so that the page works offline and in an air-gapped cluster.
"use strict";

const $ = (id) => document.getElementById(id);
const endpoints = {
  dot: "/v1/attention",
  "multi-head": "/v1/attention/multi-head",
  additive: "/v1/attention/additive",
  local: "/v1/attention/local",
};

// mulberry32: a small seeded generator, so that the same seed gives the same numbers everywhere.
function generator(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// FNV-1a: the same word gets the same embedding wherever it appears.
function hash(text) {
  let h = 0x811c9dc5;
  for (const c of text) h = Math.imul(h ^ c.codePointAt(0), 0x01000193);
  return h >>> 0;
}

// Standard normal numbers (Box–Muller), rounded to keep the request readable.
function normals(random, count, scale) {
  const values = [];
  while (values.length < count) {
    const radius = Math.sqrt(-2 * Math.log(1 - random()));
    const angle = 2 * Math.PI * random();
    values.push(radius * Math.cos(angle), radius * Math.sin(angle));
  }
  return values.slice(0, count).map((v) => Math.round(v * scale * 1e4) / 1e4);
}

function matrix(random, rows, columns, scale) {
  const flat = normals(random, rows * columns, scale);
  return Array.from({ length: rows }, (_, i) => flat.slice(i * columns, (i + 1) * columns));
}

// The number in a field, or null when it is empty.
function numberIn(id) {
  const text = $(id).value.trim();
  return text === "" ? null : Number(text);
}

// The mechanisms each option applies to (the same as the form's data-for rows).
const optionTakers = { window: ["dot", "multi-head"], mode: ["dot", "additive", "local"], scale: ["dot", "multi-head"] };

// The tensors and labels: embeddings of the sentence's words, or Q, K, V pasted as JSON.
function inputs(seed) {
  if (document.querySelector("input[name=source]:checked").value === "json") {
    let given;
    try {
      given = JSON.parse($("qkv").value);
    } catch (error) {
      throw new Error("Q, K, V is not valid JSON: " + error.message);
    }
    if (given === null || typeof given !== "object" || Array.isArray(given)) {
      throw new Error('Q, K, V must be a JSON object such as {"query": [[1, 0]], "key": [[1, 0]], "value": [[1]]}.');
    }
    return { query: given.query, key: given.key ?? given.query, value: given.value ?? given.key ?? given.query, tokens: null };
  }
  const tokens = $("sentence").value.trim().split(/\s+/).filter(Boolean);
  if (tokens.length === 0) throw new Error("Type a sentence: its words are the tokens.");
  const dim = numberIn("dim") ?? 16;
  const embeddings = tokens.map((token) => normals(generator(hash(token) ^ seed), dim, 1));
  return { query: embeddings, key: embeddings, value: embeddings, tokens };
}

// The request body for the chosen mechanism; options left empty are left out.
function requestBody() {
  const seed = numberIn("seed") ?? 0;
  const mechanism = $("mechanism").value;
  const { query, key, value, tokens } = inputs(seed);
  const width = Array.isArray(query) && Array.isArray(query[0]) ? query[0].length : 0;
  const random = generator(seed ^ 0x9e3779b9);
  const body = {};
  const scaleOfWidth = 1 / Math.sqrt(Math.max(1, width));
  if (mechanism === "multi-head") {
    Object.assign(body, { query, num_heads: numberIn("heads") });
    for (const name of ["w_q", "w_k", "w_v", "w_o"]) body[name] = matrix(random, width, width, scaleOfWidth);
    body.return_weights = "per_head";
  } else if (mechanism === "additive") {
    Object.assign(body, { query, key, value });
    Object.assign(body, { w_query: matrix(random, width, width, scaleOfWidth), w_key: matrix(random, width, width, scaleOfWidth),
                          v: normals(random, width, 1) });
  } else if (mechanism === "local") {
    Object.assign(body, { query, key, value, half_window: numberIn("half-window"), alignment: $("alignment").value });
    if (body.alignment === "predictive") Object.assign(body, { w_p: matrix(random, width, width, scaleOfWidth), v_p: normals(random, width, 1) });
  } else {
    Object.assign(body, { query, key, value });
  }
  const uses = (option) => optionTakers[option].includes(mechanism);
  if ($("causal").checked) body.causal = true;
  const left = numberIn("window-left"), right = numberIn("window-right");
  if (uses("window") && (left !== null || right !== null)) body.window = [left ?? 0, right ?? 0];
  if (uses("mode") && $("mode").value === "hard") body.mode = "hard";
  if (uses("scale") && numberIn("scale") !== null) body.scale = numberIn("scale");
  if (tokens) Object.assign(body, { query_tokens: tokens, key_tokens: tokens });
  return body;
}

// JSON with each innermost array on one line: matrices read as rows.
function pretty(value) {
  return JSON.stringify(value, null, 2).replace(/\[\s+([^\[\]{}]*?)\s+\]/g, (_, inner) => "[" + inner.replace(/\s*\n\s*/g, " ") + "]");
}

// The API key field, when filled, as a Bearer token: the page and its assets need none, the API may.
function withKey(headers) {
  const key = $("api-key").value.trim();
  return key ? { ...headers, Authorization: `Bearer ${key}` } : headers;
}

function curlCommand(path, body) {
  const quoted = JSON.stringify(body).replaceAll("'", "'\\''");
  const key = $("api-key").value.trim() ? ` -H "Authorization: Bearer $ATTENTION_API_KEY"` : "";  // never the key itself
  return `curl -s ${location.origin}${path} -H 'Content-Type: application/json' -H 'Accept: image/svg+xml'${key} \\\n  -d '${quoted}' -o heatmap.svg`;
}

async function call(path, body, accept) {
  const response = await fetch(path, { method: "POST", headers: withKey({ "Content-Type": "application/json", Accept: accept }), body: JSON.stringify(body) });
  return { ok: response.ok, status: response.status, statusText: response.statusText, text: await response.text() };
}

function showError(status, text) {
  $("error-status").textContent = status;
  let shown = text;
  try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch { /* not JSON: shown as sent */ }
  $("error-body").textContent = shown;
  $("error").hidden = false;
}

function showHeatmap(svgText) {
  const parsed = new DOMParser().parseFromString(svgText, "image/svg+xml");
  if (parsed.querySelector("parsererror")) throw new Error("The heatmap is not well-formed SVG.");
  $("heatmap").replaceChildren(document.importNode(parsed.documentElement, true));
}

function showOutput(output, tokens) {
  const rows = Array.isArray(output?.[0]?.[0]) ? output.flat() : output;
  const table = $("output");
  table.replaceChildren();
  const head = table.createTHead().insertRow();
  head.appendChild(document.createElement("th")).textContent = tokens ? "token" : "row";
  rows[0].forEach((_, j) => { head.appendChild(document.createElement("th")).textContent = `d${j}`; });
  const body = table.createTBody();
  rows.forEach((row, i) => {
    const line = body.insertRow();
    const label = line.insertCell();
    label.className = "token";
    label.textContent = tokens?.[i] ?? String(i);
    row.forEach((v) => { line.insertCell().textContent = v.toFixed(4); });
  });
  $("output-shape").textContent = `[${rows.length}, ${rows[0].length}]`;
  $("output-card").hidden = false;
}

// A loaded model's attention on the sentence (the mechanism "model:NAME"): its model view, a
// grid of layers × heads whose panels open that layer's head view when clicked.
async function runModel(name, layer) {
  const text = $("sentence").value.trim();
  if (text === "") throw new Error("Type a sentence: the model tokenizes it.");
  const path = `/v1/models/${encodeURIComponent(name)}/attention`;
  const body = layer === undefined ? { text, format: "svg", view: "model" } : { text, format: "svg", view: "head", layer };
  $("endpoint").textContent = path;
  $("request").textContent = pretty(body);
  $("request").dataset.curl = curlCommand(path, body);
  $("request-card").hidden = false;
  $("output-card").hidden = true;
  const answer = await call(path, body, "image/svg+xml");
  if (!answer.ok) {
    showError(`${answer.status} ${answer.statusText}`, answer.text);
    return false;
  }
  showHeatmap(answer.text);
  if (layer === undefined) {
    for (const panel of $("heatmap").querySelectorAll("g.panel")) {
      panel.style.cursor = "pointer";
      panel.addEventListener("click", () => guarded(() => runModel(name, Number(panel.dataset.layer))));
    }
  } else {
    const back = Object.assign(document.createElement("button"), { type: "button", className: "secondary", textContent: "Back to the model view" });
    back.addEventListener("click", () => guarded(() => runModel(name)));
    $("heatmap").prepend(back);
  }
  return true;
}

// Runs `work` (true when it drew, false when the API refused) with the card's state and the error box kept.
async function guarded(work) {
  const card = $("heatmap-card");
  card.dataset.state = "running";
  $("error").hidden = true;
  try {
    card.dataset.state = (await work()) ? "done" : "error";
  } catch (error) {
    showError("nothing: the request was not sent", error.message);
    card.dataset.state = "error";
  }
}

async function run(event) {
  event?.preventDefault();
  const card = $("heatmap-card");
  const model = $("mechanism").value.startsWith("model:") ? $("mechanism").value.slice("model:".length) : null;
  if (model !== null && document.querySelector("input[name=source]:checked").value === "sentence") {
    $("run").disabled = true;
    await guarded(() => runModel(model));
    card.dataset.runs = String(Number(card.dataset.runs ?? 0) + 1);
    $("run").disabled = false;
    return;
  }
  card.dataset.state = "running";
  $("run").disabled = true;
  $("error").hidden = true;
  try {
    const body = requestBody();
    const path = endpoints[$("mechanism").value];
    $("endpoint").textContent = path;
    $("request").textContent = pretty(body);
    $("request").dataset.curl = curlCommand(path, body);
    $("request-card").hidden = false;
    const [json, svg] = await Promise.all([call(path, body, "application/json"), call(path, body, "image/svg+xml")]);
    const failed = [json, svg].find((answer) => !answer.ok);
    if (failed) {
      showError(`${failed.status} ${failed.statusText}`, failed.text);
      $("heatmap").replaceChildren(Object.assign(document.createElement("p"), { className: "muted", textContent: "No heatmap: the API refused the request." }));
      $("output-card").hidden = true;
      card.dataset.state = "error";
      return;
    }
    showHeatmap(svg.text);
    showOutput(JSON.parse(json.text).output, body.query_tokens);
    card.dataset.state = "done";
  } catch (error) {
    showError("nothing: the request was not sent", error.message);
    card.dataset.state = "error";
  } finally {
    card.dataset.runs = String(Number(card.dataset.runs ?? 0) + 1);
    $("run").disabled = false;
  }
}

// Shows only the options the chosen mechanism takes.
function showOptions() {
  const mechanism = $("mechanism").value;
  for (const row of document.querySelectorAll("[data-for]")) row.hidden = !row.dataset.for.split(" ").includes(mechanism);
  // A model tokenizes the sentence itself: the seed, the embedding size and the mask are the mechanisms'.
  const model = mechanism.startsWith("model:");
  for (const element of document.querySelectorAll(".mechanism-only")) element.hidden = model;
  for (const element of document.querySelectorAll(".model-only")) element.hidden = !model;
}

function showSource() {
  const json = document.querySelector("input[name=source]:checked").value === "json";
  $("json-input").hidden = !json;
  $("sentence-input").hidden = json;
}

async function copyCurl() {
  const text = $("request").dataset.curl;
  try {
    await navigator.clipboard.writeText(text);
    $("copy").textContent = "Copied";
  } catch {
    $("request").textContent = text;  // no clipboard: show the command to select by hand
  }
  setTimeout(() => { $("copy").textContent = "Copy as curl"; }, 1500);
}

// Offers the server's models (GET /v1/models) first, chosen by default: a sentence then runs
// through a real model; the pseudo-random mechanisms stay for the rest.
async function offerModels() {
  try {
    const answer = await fetch("/v1/models", { headers: withKey({}) });
    if (!answer.ok) return;
    const { models } = await answer.json();
    if (!models?.length) return;
    const group = Object.assign(document.createElement("optgroup"), { label: "Models (the sentence through a real model)" });
    for (const model of models) {
      group.appendChild(new Option(`${model.name} (${model.layers} layers × ${model.heads} heads)`, `model:${model.name}`));
    }
    $("mechanism").prepend(group);
    $("mechanism").value = `model:${models[0].name}`;
    showOptions();
  } catch { /* no models: the mechanisms alone */ }
}

// Disables the mechanisms whose endpoint this server does not list in its JSON index.
async function markMissingEndpoints() {
  try {
    const index = await (await fetch("/", { headers: withKey({ Accept: "application/json" }) })).json();
    const served = new Set(index.endpoints.map((endpoint) => endpoint.path));
    for (const option of $("mechanism").options) {
      if (option.value.startsWith("model:") || served.has(endpoints[option.value])) continue;
      option.disabled = true;
      option.textContent += " (not on this server)";
    }
  } catch { /* no index: every option stays, and a missing endpoint's 404 is shown when run */ }
}

document.addEventListener("DOMContentLoaded", () => {
  $("controls").addEventListener("submit", run);
  $("mechanism").addEventListener("change", showOptions);
  for (const radio of document.querySelectorAll("input[name=source]")) radio.addEventListener("change", showSource);
  $("copy").addEventListener("click", copyCurl);
  showOptions();
  showSource();
  markMissingEndpoints();
  offerModels().then(() => run());
});
