"""The /docs page: a self-contained renderer of /openapi.json (no script, font or style from elsewhere)."""

HTML = r"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>searchsvc API</title>
<style>
  :root { --fg:#1d232a; --muted:#5b6672; --line:#dde3ea; --bg:#f6f8fa; --get:#1f7a3a; --post:#9a5b00; }
  * { box-sizing: border-box; }
  body { margin:0; font:15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color:var(--fg); }
  header { padding:18px 28px; border-bottom:1px solid var(--line); background:var(--bg); }
  header h1 { margin:0; font-size:22px; } header .version { color:var(--muted); margin-left:8px; }
  main { display:flex; }
  nav { width:250px; flex:none; padding:16px; border-right:1px solid var(--line); position:sticky; top:0;
        align-self:flex-start; max-height:100vh; overflow:auto; }
  nav a { display:block; padding:3px 0; color:var(--fg); text-decoration:none; font-family:ui-monospace, monospace; font-size:13px; }
  nav h3 { font-size:12px; text-transform:uppercase; color:var(--muted); margin:14px 0 4px; }
  #content { padding:8px 28px 60px; min-width:0; flex:1; }
  .op { border:1px solid var(--line); border-radius:8px; margin:18px 0; }
  .op > h2 { margin:0; padding:10px 14px; font-size:16px; background:var(--bg); border-bottom:1px solid var(--line);
             border-radius:8px 8px 0 0; font-family:ui-monospace, monospace; }
  .op .body { padding:6px 14px 12px; }
  .method { display:inline-block; min-width:52px; padding:1px 6px; margin-right:8px; border-radius:4px; color:#fff;
            font-size:12px; text-align:center; background:var(--get); }
  .method.post { background:var(--post); }
  table { border-collapse:collapse; width:100%; font-size:14px; margin:6px 0; }
  th, td { text-align:left; vertical-align:top; padding:5px 8px; border-bottom:1px solid var(--line); }
  th { color:var(--muted); font-weight:600; }
  code, pre, .mono { font-family:ui-monospace, SFMono-Regular, Menlo, monospace; font-size:13px; }
  pre { background:var(--bg); padding:10px; overflow:auto; border-radius:6px; max-height:420px; }
  .req { color:#b42318; font-size:12px; } .muted { color:var(--muted); }
  .try input { width:100%; padding:3px 6px; font:inherit; }
  button { padding:5px 14px; font:inherit; cursor:pointer; }
  details summary { cursor:pointer; color:var(--muted); }
  #error { color:#b42318; }
</style>
</head>
<body>
<header><h1 id="title">searchsvc API</h1></header>
<main><nav id="nav"></nav><div id="content"><p class="muted">Loading the API description…</p></div></main>
<script>
"use strict";
const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({"&":"&amp;","<":"&lt;",">":"&gt;",'"':"&quot;","'":"&#39;"}[c]));
const inline = (s) => esc(s).replace(/`([^`]+)`/g, "<code>$1</code>");
// A small Markdown subset: paragraphs, "- " lists, `code`.
function md(text) {
  return String(text || "").split(/\n\n+/).map((block) => {
    const lines = block.split("\n");
    if (lines.every((l) => l.startsWith("- "))) return "<ul>" + lines.map((l) => "<li>" + inline(l.slice(2)) + "</li>").join("") + "</ul>";
    const head = lines.filter((l) => !l.startsWith("- ")), items = lines.filter((l) => l.startsWith("- "));
    return "<p>" + inline(head.join(" ")) + "</p>" + (items.length ? "<ul>" + items.map((l) => "<li>" + inline(l.slice(2)) + "</li>").join("") + "</ul>" : "");
  }).join("");
}
let spec;
function resolve(schema) {
  if (schema && schema.$ref) return spec.components.schemas[schema.$ref.split("/").pop()] || {};
  return schema || {};
}
// A one-line description of a schema's type: string, integer ≥ 1, "a" | "b", array of Listing, …
function typeOf(schema) {
  if (!schema) return "";
  if (schema.$ref) return schema.$ref.split("/").pop();
  if (schema.enum) return schema.enum.map((v) => JSON.stringify(v)).join(" | ");
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  for (const key of ["anyOf", "oneOf"]) if (schema[key]) return schema[key].map(typeOf).join(" | ");
  if (schema.type === "array") return "array of " + typeOf(schema.items);
  let t = Array.isArray(schema.type) ? schema.type.join(" | ") : (schema.type || "any");
  if (schema.format) t += " (" + schema.format + ")";
  const limits = [];
  if (schema.minimum !== undefined) limits.push("≥ " + schema.minimum);
  if (schema.exclusiveMinimum !== undefined) limits.push("> " + schema.exclusiveMinimum);
  if (schema.maximum !== undefined) limits.push("≤ " + schema.maximum);
  if (schema.minLength !== undefined) limits.push("length ≥ " + schema.minLength);
  if (schema.maxLength !== undefined) limits.push("length ≤ " + schema.maxLength);
  return t + (limits.length ? ", " + limits.join(", ") : "");
}
function fieldsTable(schema) {
  const s = resolve(schema);
  if (s.type === "array") return "<p class='mono'>" + esc(typeOf(s)) + "</p>" + fieldsTable(s.items);
  if (!s.properties) return "<p class='mono'>" + esc(typeOf(schema)) + "</p>";
  const required = new Set(s.required || []);
  const rows = Object.entries(s.properties).map(([name, p]) =>
    `<tr><td class="mono">${esc(name)}${required.has(name) ? "" : " <span class='muted'>(optional)</span>"}</td>` +
    `<td class="mono">${esc(typeOf(p))}</td><td>${md(p.description || resolve(p).description || "")}</td></tr>`).join("");
  return `<table><tr><th>Field</th><th>Type</th><th>Description</th></tr>${rows}</table>`;
}
function operation(path, method, op) {
  const id = op.operationId || (method + path);
  const params = op.parameters || [];
  let html = `<section class="op" id="${esc(id)}"><h2><span class="method ${method}">${method.toUpperCase()}</span>${esc(path)}</h2><div class="body">`;
  html += "<p><b>" + inline(op.summary) + "</b></p>" + md(op.description);
  if (params.length) {
    html += "<h4>Query parameters</h4><table><tr><th>Name</th><th>Type</th><th>Default</th><th>Description</th></tr>";
    for (const p of params) {
      html += `<tr><td class="mono">${esc(p.name)}${p.required ? " <span class='req'>required</span>" : ""}${p.schema.type === "array" ? " <span class='muted'>(repeatable)</span>" : ""}</td>` +
        `<td class="mono">${esc(typeOf(p.schema))}</td><td class="mono">${p.schema.default === undefined ? "" : esc(JSON.stringify(p.schema.default))}</td><td>${md(p.description)}</td></tr>`;
    }
    html += "</table>";
  }
  if (op.requestBody) {
    const body = op.requestBody.content["application/json"].schema;
    html += "<h4>Request body (JSON)</h4><p class='mono'>" + esc(typeOf(body)) + "</p>" + fieldsTable((body.oneOf || [body])[0]);
  }
  html += "<h4>Responses</h4><table><tr><th>Status</th><th>Meaning</th><th>Body</th></tr>";
  for (const [status, r] of Object.entries(op.responses || {})) {
    const [type, media] = Object.entries(r.content || {})[0] || ["", {}];
    const schema = media.schema;
    const detail = schema && schema.$ref ? `<details><summary>${esc(typeOf(schema))}</summary>${fieldsTable(schema)}</details>` : `<span class="mono">${esc(type)} ${esc(typeOf(schema))}</span>`;
    html += `<tr><td class="mono">${esc(status)}</td><td>${inline(r.description)}${r.headers && r.headers["Retry-After"] ? " (with <code>Retry-After</code>)" : ""}</td><td>${detail}</td></tr>`;
  }
  html += "</table>";
  if (method === "get") {
    html += `<details class="try"><summary>Try it</summary><form data-path="${esc(path)}"><table>`;
    for (const p of params) html += `<tr><td class="mono" style="width:160px">${esc(p.name)}</td><td><input name="${esc(p.name)}" placeholder="${esc(p.schema.default === undefined ? "" : p.schema.default)}"></td></tr>`;
    html += `</table><button type="submit">Send</button> <span class="mono url"></span><pre hidden></pre></form></details>`;
  }
  return html + "</div></section>";
}
async function tryIt(event) {
  event.preventDefault();
  const form = event.target, query = new URLSearchParams();
  for (const input of form.querySelectorAll("input")) {
    if (!input.value) continue;
    // repeatable parameters: one value per comma-separated item
    const param = input.name, repeat = (spec.paths[form.dataset.path].get.parameters || []).find((p) => p.name === param);
    const values = repeat && repeat.schema.type === "array" ? input.value.split(",") : [input.value];
    for (const v of values) query.append(param, v.trim());
  }
  const url = form.dataset.path + (query.toString() ? "?" + query : "");
  form.querySelector(".url").textContent = "GET " + url;
  const out = form.querySelector("pre");
  out.hidden = false;
  out.textContent = "…";
  try {
    const response = await fetch(url);
    const text = await response.text();
    let shown = text;
    try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch (e) { /* not JSON */ }
    out.textContent = response.status + " " + response.statusText + "\n\n" + shown;
  } catch (e) { out.textContent = String(e); }
}
async function main() {
  const content = document.getElementById("content");
  try {
    const response = await fetch("openapi.json");
    spec = await response.json();
  } catch (e) {
    content.innerHTML = `<p id="error">Could not load openapi.json: ${esc(e)}</p>`;
    return;
  }
  document.getElementById("title").innerHTML = esc(spec.info.title) + `<span class="version">${esc(spec.info.version)} · OpenAPI ${esc(spec.openapi)} · <a href="openapi.json">openapi.json</a></span>`;
  const byTag = {};
  for (const tag of spec.tags || []) byTag[tag.name] = [];
  for (const [path, methods] of Object.entries(spec.paths))
    for (const [method, op] of Object.entries(methods)) (byTag[(op.tags || ["other"])[0]] ||= []).push([path, method, op]);
  let nav = "", html = md(spec.info.description);
  for (const [tag, ops] of Object.entries(byTag)) {
    if (!ops.length) continue;
    const about = (spec.tags || []).find((t) => t.name === tag);
    nav += `<h3>${esc(tag)}</h3>` + ops.map(([p, m, op]) => `<a href="#${esc(op.operationId || m + p)}">${m.toUpperCase()} ${esc(p)}</a>`).join("");
    html += `<h2>${esc(tag)}</h2>` + (about ? md(about.description) : "") + ops.map(([p, m, op]) => operation(p, m, op)).join("");
  }
  nav += "<h3>schemas</h3>" + Object.keys(spec.components.schemas).map((n) => `<a href="#schema-${esc(n)}">${esc(n)}</a>`).join("");
  html += "<h2>Schemas</h2>" + Object.entries(spec.components.schemas).map(([n, s]) =>
    `<section class="op" id="schema-${esc(n)}"><h2>${esc(n)}</h2><div class="body">${md(s.description)}${fieldsTable(s)}</div></section>`).join("");
  const settings = Object.entries(spec.info["x-settings"] || {});
  if (settings.length) {
    nav += '<h3>configuration</h3><a href="#settings">settings</a>';
    html += '<h2 id="settings">Settings</h2><p>Environment variables of the service (values in force are not shown, except the limits above).</p>' +
      "<table><tr><th>Variable</th><th>Default</th><th>Meaning</th></tr>" +
      settings.map(([n, s]) => `<tr><td class="mono">${esc(n)}</td><td class="mono">${esc(JSON.stringify(s.default))}</td><td>${inline(s.description)}</td></tr>`).join("") +
      "</table>";
  }
  document.getElementById("nav").innerHTML = nav;
  content.innerHTML = html;
  for (const form of content.querySelectorAll("form")) form.addEventListener("submit", tryIt);
  if (location.hash) document.getElementById(decodeURIComponent(location.hash.slice(1)))?.scrollIntoView();
}
main();
</script>
</body>
</html>
"""
