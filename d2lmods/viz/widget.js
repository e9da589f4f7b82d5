// Front end of d2lmods.viz.ModelExplorer (anywidget).
// State from the kernel: svg, text, hint, tree (analysis JSON + svg id maps), selected.
// Clicks in the drawing or in the tree set `selected`; a change of `selected` (from either
// side) highlights both views and fills the detail panel.

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") el.className = v;
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

function select(model, path) {
  if (path === undefined || path === null) return;
  model.set("selected", path);
  model.save_changes();
}

function badges(m) {
  const out = [];
  if (m.status === "unregistered") out.push(h("span", { class: "d2lm-badge red" }, "not registered"));
  if (m.status === "not-in-model") out.push(h("span", { class: "d2lm-badge red" }, "made in forward"));
  if (m.failed !== null && m.failed !== undefined) out.push(h("span", { class: "d2lm-badge failed" }, "failed here"));
  if (m.params.some((p) => p.problem)) out.push(h("span", { class: "d2lm-badge red" }, "hidden param"));
  if (m.params.some((p) => p.lazy)) out.push(h("span", { class: "d2lm-badge grey" }, "lazy"));
  if (m.params.some((p) => p.tied_with.length)) out.push(h("span", { class: "d2lm-badge tied" }, "tied"));
  if (m.alias_of !== null) out.push(h("span", { class: "d2lm-badge" }, "shared"));
  if (m.calls === 0) out.push(h("span", { class: "d2lm-badge grey" }, "not called"));
  return out;
}

function buildTree(model, data) {
  const mods = data.modules || {};
  const item = (path) => {
    const m = mods[path];
    const kids = m.children || [];
    const li = h("li", { "data-path": path });
    const toggle = h("span", { class: "d2lm-toggle" }, kids.length ? "\u25be" : "");
    toggle.addEventListener("click", (e) => {
      e.stopPropagation();
      li.classList.toggle("d2lm-closed");
      toggle.textContent = li.classList.contains("d2lm-closed") ? "\u25b8" : "\u25be";
    });
    const label = h("span", { class: `d2lm-item ${m.status}`, "data-path": path,
                              title: m.problem || m.label }, m.label, badges(m));
    label.addEventListener("click", () => select(model, path));
    li.append(toggle, label);
    if (kids.length) li.append(h("ul", {}, kids.map(item)));
    return li;
  };
  return h("ul", {}, data.root === undefined ? [] : [item(data.root)]);
}

function paramTable(rows, kind) {
  if (!rows.length) return null;
  const head = h("tr", {}, h("th", {}, kind), h("th", {}, "shape"), h("th", {}, "dtype"),
                 h("th", {}, "count"), h("th", {}, "notes"));
  const body = rows.map((p) => {
    const notes = [];
    if (p.lazy) notes.push("lazy: shape set by the first forward");
    if (p.kind === "parameter" && !p.requires_grad) notes.push("frozen");
    if (p.tied_with.length) {
      const more = p.tied_count - p.tied_with.length;
      notes.push("tied with " + p.tied_with.join(", ") +
                 (more > 0 ? ` and ${more.toLocaleString("en-US")} more` : ""));
    }
    if (p.problem) notes.push("NOT registered");
    return h("tr", { class: p.lazy ? "lazy" : (p.problem ? "problem" : "") },
             h("td", {}, p.name), h("td", {}, p.shape), h("td", {}, p.dtype),
             h("td", {}, p.lazy ? "?" : p.numel.toLocaleString("en-US")), h("td", {}, notes.join("; ")));
  });
  return h("table", {}, head, body);
}

function buildDetail(data, path) {
  const m = (data.modules || {})[path];
  if (!m) return h("div", {}, "Select a module in the drawing or the tree.");
  const statusText = {
    registered: "registered",
    unregistered: `NOT registered (${m.holder})`,
    "inside-unregistered": "inside an unregistered module",
    "not-in-model": `NOT in the model (${m.holder})`,
  }[m.status];
  const parts = [h("h4", {}, m.label), h("div", { class: "note" }, `path: ${path === "" ? "(root)" : path} \u2014 ${statusText}`)];
  if (m.failed !== null && m.failed !== undefined) {
    parts.push(h("div", { class: "note" }, `input ${m.failed_inputs} \u2192 (the sample forward failed here)`));
  } else if (m.unfinished) {
    parts.push(h("div", { class: "note" }, `input ${m.failed_inputs}: the sample forward failed inside it`));
  } else if (m.calls !== null) {
    parts.push(h("div", { class: "note" }, m.calls ? `called ${m.calls}\u00d7: ${m.input_shapes} \u2192 ${m.output_shapes}` : "not called by the sample forward"));
  }
  if (m.alias_of !== null) parts.push(h("div", { class: "note" }, `same module object as ${m.alias_of || "(root)"}`));
  for (const held of m.also_held_at.slice(0, 3)) parts.push(h("div", { class: "note" }, `also held in ${held} (harmless: it is registered)`));
  if (m.also_held_at.length > 3) parts.push(h("div", { class: "note" }, `and in ${(m.also_held_at.length - 3).toLocaleString("en-US")} more places`));
  const problems = [];
  if (m.problem) problems.push([m.problem, m.fix]);
  for (const p of m.params) if (p.problem) problems.push([p.problem, p.fix]);
  for (const [problem, fix] of problems) {
    parts.push(h("div", { class: "problem" }, problem));
    if (fix) parts.push(h("div", { class: "fix" }, "Fix: ", h("code", {}, fix)));
  }
  parts.push(paramTable(m.params, "parameter"));
  parts.push(paramTable(m.buffers, "buffer"));
  if (!m.params.length && !m.buffers.length) parts.push(h("div", { class: "note" }, "no parameters of its own"));
  if (path === data.root) for (const line of (data.totals || [])) parts.push(h("div", { class: "note" }, line));
  return h("div", {}, parts);
}

function render({ model, el }) {
  const root = h("div", { class: "d2lm-explorer" });
  const title = h("span", { class: "d2lm-title" });
  const totals = h("span", { class: "d2lm-totals" });
  const refresh = h("button", { title: "analyse and draw the model again" }, "refresh");
  refresh.addEventListener("click", () => model.send({ event: "refresh" }));
  const treePane = h("div", { class: "d2lm-tree" });
  const drawing = h("div", { class: "d2lm-drawing" });
  const detail = h("div", { class: "d2lm-detail" });
  root.append(h("div", { class: "d2lm-bar" }, title, totals, refresh),
              h("div", { class: "d2lm-main" }, treePane, drawing, detail));
  el.append(root);
  let svgNodes = new Map(); // svg id -> <g>

  function highlight() {
    const data = model.get("tree") || {};
    const path = model.get("selected");
    for (const g of drawing.querySelectorAll(".d2lm-selected")) g.classList.remove("d2lm-selected");
    for (const s of treePane.querySelectorAll(".d2lm-selected")) s.classList.remove("d2lm-selected");
    const gid = (data.drawn || {})[path];
    const g = gid !== undefined ? svgNodes.get(gid) : undefined;
    if (g) g.classList.add("d2lm-selected");
    for (const s of treePane.querySelectorAll(".d2lm-item")) {
      if (s.dataset.path === path) s.classList.add("d2lm-selected");
    }
    detail.replaceChildren(buildDetail(data, path));
  }

  function redraw() {
    const data = model.get("tree") || {};
    const mods = data.modules || {};
    const rootInfo = mods[data.root] || {};
    title.textContent = rootInfo.class_name || "";
    const lines = data.totals || [];
    totals.replaceChildren(...lines.slice(0, 1).map((t) => h("span", {}, t)),
      ...lines.slice(1).filter((t) => t.startsWith("NOT")).map((t) => h("span", { class: "bad" }, " \u2014 " + t)));
    treePane.replaceChildren(buildTree(model, data));
    svgNodes = new Map();
    const svg = model.get("svg");
    if (svg) {
      drawing.innerHTML = svg;
      const targets = data.targets || {};
      for (const g of drawing.querySelectorAll("g.node, g.cluster")) {
        if (!(g.id in targets)) continue;
        svgNodes.set(g.id, g);
        g.addEventListener("click", (e) => {
          e.stopPropagation();
          select(model, targets[g.id]);
        });
      }
    } else {
      drawing.replaceChildren(h("div", { class: "d2lm-hint" }, model.get("hint")),
                              h("pre", {}, model.get("text")));
    }
    highlight();
  }

  model.on("change:version", redraw);
  model.on("change:selected", highlight);
  redraw();
  return () => {
    model.off("change:version", redraw);
    model.off("change:selected", highlight);
  };
}

export default { render };
