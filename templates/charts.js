// tbreport interactive charts: TensorBoard's scalar-chart interactions over inline data.
//
// Every `.tbc` box holds a static rendering (the matplotlib image: JavaScript off,
// print, e-mail) and a `<script type="application/json" class="tbc-data">` payload
// (tbreport/render/chartdata.py documents its schema). When a box comes near the
// viewport, this script decodes its payload and draws an SVG chart over it: hover
// readout, page-wide run toggles and smoothing, log/linear y, drag-to-zoom, PNG/SVG/CSV
// downloads. Nothing here fetches anything, evaluates strings or parses markup: every
// string from a log (run names, tags) is set with textContent or setAttribute.
(function () {
  "use strict";
  if (!("IntersectionObserver" in window) || typeof DataView !== "function") return;

  // The SVG namespace, derived from the page's own (XHTML) one: the page carries no
  // literal URL strings (the report's offline checks look for them).
  const SVGNS = document.documentElement.namespaceURI.replace("1999/xhtml", "2000/svg");
  const SLIDER_MAX = 0.999; // TensorBoard's smoothing slider stops there too
  const TIP_ROWS = 10; // hover readout rows before "and N more"

  // ---------------------------------------------------------------- DOM helpers
  function h(tag, attrs, text) {
    const e = document.createElement(tag);
    if (attrs) for (const k of Object.keys(attrs)) e.setAttribute(k, attrs[k]);
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }
  function sv(tag, attrs, text) {
    const e = document.createElementNS(SVGNS, tag);
    if (attrs) for (const k of Object.keys(attrs)) e.setAttribute(k, String(attrs[k]));
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }
  // A run name with a line-break chance after each "/" and nowhere inside a token
  // (or, for the one-line readout, none at all).
  function nameNode(name, oneLine) {
    const span = h("span", { class: "tbc-rn" });
    if (oneLine) { span.textContent = String(name); return span; }
    const parts = String(name).split("/");
    parts.forEach(function (part, i) {
      span.appendChild(document.createTextNode(part + (i < parts.length - 1 ? "/" : "")));
      if (i < parts.length - 1) span.appendChild(h("wbr"));
    });
    return span;
  }

  // ---------------------------------------------------------------- formatting
  function trimZeros(s) {
    return s.replace(/(\.\d*?)0+(?=$|e)/, "$1").replace(/\.(?=$|e)/, "");
  }
  function fmtValue(v) {
    if (Number.isNaN(v)) return "NaN";
    if (v === Infinity) return "+inf";
    if (v === -Infinity) return "-inf";
    if (v === 0) return "0";
    const a = Math.abs(v);
    if (Number.isInteger(v) && a < 1e15) return String(v);
    if (a >= 1e-4 && a < 1e6) return trimZeros(v.toPrecision(6));
    return trimZeros(v.toExponential(5)).replace("e+", "e");
  }
  // the exact value (the shortest text that reads back as the same number); non-finite
  // values as the report's CSV writes them
  function exact(v) {
    if (Number.isNaN(v)) return "nan";
    if (v === Infinity) return "inf";
    if (v === -Infinity) return "-inf";
    return String(v);
  }
  function fmtInt(n) {
    if (!Number.isFinite(n)) return String(n);
    const s = String(Math.abs(Math.round(n)));
    return (n < 0 ? "-" : "") + s.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  }
  function pad2(n) {
    return (n < 10 ? "0" : "") + n;
  }
  function fmtTime(ms) {
    if (!ms) return "—";
    const d = new Date(ms);
    return d.getUTCFullYear() + "-" + pad2(d.getUTCMonth() + 1) + "-" + pad2(d.getUTCDate()) +
      " " + pad2(d.getUTCHours()) + ":" + pad2(d.getUTCMinutes()) + ":" + pad2(d.getUTCSeconds());
  }
  function fmtDuration(sec) {
    if (!Number.isFinite(sec)) return "—";
    const neg = sec < 0 ? "-" : "";
    let s = Math.abs(sec);
    if (s < 60) return neg + (s < 10 ? s.toFixed(1) : s.toFixed(0)) + " s";
    s = Math.round(s);
    const m = Math.floor(s / 60);
    if (m < 60) return neg + m + " min " + pad2(s % 60) + " s";
    const hr = Math.floor(m / 60);
    if (hr < 48) return neg + hr + " h " + pad2(m % 60) + " min";
    return neg + Math.floor(hr / 24) + " d " + pad2(hr % 24) + " h";
  }

  // ---------------------------------------------------------------- ticks
  function niceStep(span, count) {
    const raw = span / Math.max(1, count);
    const e = Math.floor(Math.log10(raw));
    const f = raw / Math.pow(10, e);
    const m = f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10;
    return { m: m === 10 ? 1 : m, e: m === 10 ? e + 1 : e };
  }
  function stepValue(st, i) {
    // i * m * 10^e without the binary error of a repeated sum
    return st.e < 0 ? (i * st.m) / Math.pow(10, -st.e) : i * st.m * Math.pow(10, st.e);
  }
  function linearTicks(lo, hi, count) {
    const st = hi > lo ? niceStep(hi - lo, count) : null;
    const size = st ? stepValue(st, 1) : NaN;
    // a span too small or too large for float64 steps: the two ends only
    if (!(size > 0) || !Number.isFinite(size) || (hi - lo) / size > 1000) {
      return { ticks: hi > lo ? [lo, hi] : [lo], st: { m: 1, e: Math.floor(Math.log10(Math.abs(hi - lo) || 1)) - 1 } };
    }
    const ticks = [];
    for (let i = Math.ceil(lo / size - 1e-9); i <= Math.floor(hi / size + 1e-9); i++) {
      ticks.push(stepValue(st, i));
    }
    return { ticks: ticks, st: st };
  }
  function decimalLabels(ticks, st) {
    const maxAbs = Math.max.apply(null, ticks.map(Math.abs));
    if (maxAbs >= 1e6 || (maxAbs > 0 && maxAbs < 1e-3)) {
      for (let d = 0; d < 8; d++) {
        const labels = ticks.map(function (t) { return t === 0 ? "0" : trimZeros(t.toExponential(d)).replace("e+", "e"); });
        if (new Set(labels).size === labels.length) return labels;
      }
    }
    const dec = Math.max(0, -st.e);
    return ticks.map(function (t) { return t.toFixed(Math.min(dec, 12)).replace(/^-(0\.?0*)$/, "$1"); });
  }
  function siLabels(ticks, st) {
    // step ticks as TensorBoard writes them: 500, 1k, 1.5k, 10k, 2M
    const maxAbs = Math.max.apply(null, ticks.map(Math.abs));
    const u = maxAbs >= 1e10 ? [1e9, "G", 9] : maxAbs >= 1e7 ? [1e6, "M", 6] : maxAbs >= 1e4 ? [1e3, "k", 3] : null;
    if (!u) return decimalLabels(ticks, st);
    const dec = Math.min(12, Math.max(0, u[2] - st.e));
    return ticks.map(function (t) { return t === 0 ? "0" : trimZeros((t / u[0]).toFixed(dec)) + u[1]; });
  }
  function logTicks(lo, hi, count) {
    const e0 = Math.max(-324, Math.floor(Math.log10(lo))), e1 = Math.min(309, Math.ceil(Math.log10(hi)));
    const decades = e1 - e0;
    const every = Math.max(1, Math.ceil(decades / Math.max(1, count)));
    const mult = decades <= 1 ? [1, 2, 3, 5] : decades <= 3 ? [1, 2, 5] : [1];
    const ticks = [], minor = [];
    for (let e = e0; e <= e1; e++) {
      for (let m = 1; m < 10; m++) {
        const v = m * Math.pow(10, e);
        if (v < lo * (1 - 1e-9) || v > hi * (1 + 1e-9)) continue;
        if (mult.indexOf(m) >= 0 && (m > 1 || (e - e0) % every === 0)) ticks.push(v);
        else if (decades <= 6) minor.push(v);
      }
    }
    const labels = ticks.map(function (v) {
      const e = Math.floor(Math.log10(v) + 1e-9);
      return e >= -3 && e <= 5 ? trimZeros(v.toFixed(Math.max(0, -e))) : trimZeros(v.toExponential(0)).replace("e+", "e");
    });
    return { ticks: ticks, labels: labels, minor: minor };
  }
  const WALL_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800,
    21600, 43200, 86400, 172800, 604800, 1209600, 2592000, 7776000, 31536000].map(function (s) { return s * 1000; });
  function wallTicks(lo, hi, count) {
    const size = WALL_STEPS.find(function (s) { return (hi - lo) / s <= count; }) || WALL_STEPS[WALL_STEPS.length - 1];
    const ticks = [];
    for (let t = Math.ceil(lo / size) * size; t <= hi; t += size) ticks.push(t);
    const labels = ticks.map(function (t) {
      const s = fmtTime(t);
      if (size < 60000) return s.slice(11);
      if (size < 86400000) return hi - lo > 86400000 ? s.slice(5, 16) : s.slice(11, 16);
      return s.slice(0, 10);
    });
    return { ticks: ticks, labels: labels };
  }
  function relativeTicks(lo, hi, count) {
    const span = hi - lo;
    const unit = span < 120 ? [1, "s"] : span < 7200 ? [60, "min"] : span < 259200 ? [3600, "h"] : [86400, "d"];
    const r = linearTicks(lo / unit[0], hi / unit[0], count);
    const labels = decimalLabels(r.ticks, r.st).map(function (l) { return l + " " + unit[1]; });
    return { ticks: r.ticks.map(function (t) { return t * unit[0]; }), labels: labels };
  }

  // ---------------------------------------------------------------- smoothing
  // TensorBoard's classic smoothing (tensorboard/webapp/widgets/line_chart_v2/
  // data_transformer.ts): a debiased exponential moving average over the finite
  // values; non-finite values pass through unsmoothed and do not advance the
  // average; a constant series (every y == the first) is returned as it is.
  function smooth(values, weight) {
    const n = values.length;
    const out = new Float64Array(n);
    let w = Number.isFinite(weight) ? Math.max(0, Math.min(weight, 1)) : 0;
    const first = values[0];
    let constant = true;
    for (let i = 0; i < n; i++) if (!(values[i] === first)) { constant = false; break; }
    if (constant) { out.set(values); return out; }
    let last = n > 0 ? 0 : NaN;
    let count = 0;
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (!Number.isFinite(v)) { out[i] = v; continue; }
      last = last * w + (1 - w) * v;
      count++;
      const debias = w === 1 ? 1 : 1 - Math.pow(w, count);
      out[i] = last / debias;
    }
    return out;
  }

  // ---------------------------------------------------------------- payload
  function base64Bytes(text) {
    const bin = atob(text);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }
  function inflate(bytes) {
    if (typeof DecompressionStream !== "function") {
      return Promise.reject(new Error("this browser cannot decompress the chart data"));
    }
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
    return new Response(stream).arrayBuffer().then(function (buf) { return new Uint8Array(buf); });
  }
  function Reader(bytes, pos) {
    this.b = bytes;
    this.pos = pos;
  }
  Reader.prototype.varint = function () {
    let result = 0, mul = 1, byte;
    do {
      if (this.pos >= this.b.length) throw new Error("chart data ends inside a number");
      byte = this.b[this.pos++];
      result += (byte & 0x7f) * mul;
      mul *= 128;
    } while (byte & 0x80);
    return result;
  };
  Reader.prototype.signed = function () {
    const z = this.varint();
    return z % 2 === 1 ? -(z + 1) / 2 : z / 2;
  };
  function decodeSeries(payload, bytes) {
    let pos = 0;
    return payload.series.map(function (m, index) {
      const k = m.k, vt = m.vt;
      const steps = new Float64Array(k), wall = new Float64Array(k), values = new Float64Array(k);
      const r = new Reader(bytes, pos);
      let step = 0;
      for (let i = 0; i < k; i++) { step += r.signed(); steps[i] = step; }
      if (r.pos - pos !== m.sb) throw new Error("chart data: bad step section");
      const wpos = r.pos;
      if (k) wall[0] = m.t0;
      for (let i = 1; i < k; i++) {
        wall[i] = wall[i - 1] + (m.rate === 0 ? 0 : Math.floor((steps[i] - steps[i - 1]) * m.rate + 0.5)) + r.signed();
      }
      if (r.pos - wpos !== m.wb) throw new Error("chart data: bad wall-time section");
      const vpos = r.pos;
      const buf = new DataView(new ArrayBuffer(vt));
      for (let i = 0; i < k; i++) {
        for (let b = 0; b < vt; b++) buf.setUint8(b, bytes[vpos + b * k + i]);
        values[i] = vt === 4 ? buf.getFloat32(0, true) : buf.getFloat64(0, true);
      }
      pos = vpos + k * vt;
      if (pos > bytes.length) throw new Error("chart data: the value section is cut short");
      return {
        index: index, run: String(m.run), label: String(m.label || ""), color: safeColor(m.color, index),
        logged: m.n, steps: steps, wall: wall, values: values, start: m.start || (k ? wall[0] : 0),
        noSmooth: !!m.ns, band: !m.ns && !!m.band, dash: /^[0-9.]+( [0-9.]+)*$/.test(String(m.dash || "")) ? String(m.dash) : "",
        cache: {},
      };
    });
  }

  // ---------------------------------------------------------------- colours
  const FALLBACK = ["#ff7043", "#0077bb", "#cc3311", "#009988", "#ee3377", "#33bbee"];
  function safeColor(c, i) {
    return /^#([0-9a-fA-F]{3}){1,2}$/.test(String(c)) ? String(c) : FALLBACK[i % FALLBACK.length];
  }
  function rgb(c) {
    const m = /^#?([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(c.trim());
    if (m) {
      let x = m[1];
      if (x.length === 3) x = x.replace(/./g, "$&$&");
      return [0, 2, 4].map(function (i) { return parseInt(x.slice(i, i + 2), 16); });
    }
    const n = /rgba?\(([^)]+)\)/.exec(c);
    return n ? n[1].split(/[ ,/]+/).slice(0, 3).map(Number) : [255, 255, 255];
  }
  function luminance(c) {
    const v = rgb(c).map(function (x) { x /= 255; return x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4); });
    return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2];
  }
  function contrast(a, b) {
    const la = luminance(a), lb = luminance(b);
    return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
  }
  // On a dark background, a dark run colour (navy, maroon) is lifted towards white
  // until it reads (contrast >= 3); light backgrounds keep the colours as they are.
  function lineColor(c, theme) {
    if (!theme.dark || contrast(c, theme.bg) >= 3) return c;
    const base = rgb(c);
    for (let t = 0.1; t <= 1; t += 0.1) {
      const mixed = "#" + base.map(function (x) { return Math.round(x + (255 - x) * t).toString(16).padStart(2, "0"); }).join("");
      if (contrast(mixed, theme.bg) >= 3) return mixed;
    }
    return "#ffffff";
  }
  function readTheme(el) {
    const cs = getComputedStyle(el);
    const v = function (name, fallback) { return cs.getPropertyValue(name).trim() || fallback; };
    const bg = v("--tbc-bg", "#ffffff");
    return {
      bg: bg, fg: v("--tbc-fg", "#1d2330"), muted: v("--tbc-muted", "#5d6677"),
      grid: v("--tbc-grid", "#e8eaee"), axis: v("--tbc-axis", "#9aa1ad"), sel: v("--tbc-sel", "#0b63c5"),
      font: v("--tbc-font", "system-ui, sans-serif"), dark: luminance(bg) < 0.2,
    };
  }
  let measureCtx = null;
  function textWidth(text, font) {
    if (!measureCtx) measureCtx = document.createElement("canvas").getContext("2d");
    if (!measureCtx) return text.length * 6.5;
    measureCtx.font = font;
    return measureCtx.measureText(text).width;
  }

  // ---------------------------------------------------------------- page-wide state
  const state = { hidden: new Set(), smoothing: null, x: null };
  const charts = [];
  let controls = null;
  function setState(change) {
    Object.assign(state, change);
    charts.forEach(function (c) { c.invalidate(); });
    updateControls();
  }
  function toggleRun(run) {
    const hidden = new Set(state.hidden);
    if (hidden.has(run)) hidden.delete(run); else hidden.add(run);
    setState({ hidden: hidden });
  }
  const pending = new Set();
  let frame = 0;
  function schedule(chart) {
    pending.add(chart);
    if (!frame) frame = requestAnimationFrame(flush);
  }
  function flush() {
    frame = 0;
    const work = Array.from(pending);
    pending.clear();
    work.forEach(function (c) { c.render(); });
  }

  // ---------------------------------------------------------------- the chart
  let chartCount = 0;
  function Chart(box, payload) {
    this.box = box;
    this.p = payload;
    this.id = "tbc" + ++chartCount;
    this.series = null;
    this.log = !!payload.log;
    this.zoom = null; // [x0, x1] in the current x-axis, or null
    this.onScreen = false;
    this.dirty = true;
    this.hoverPx = null;
    this.hoverPy = null;
  }
  Chart.prototype.xMode = function () {
    return state.x || this.p.x || "step";
  };
  Chart.prototype.invalidate = function () {
    this.dirty = true;
    if (this.onScreen && this.series) schedule(this);
  };
  Chart.prototype.load = function () {
    const self = this;
    const raw = base64Bytes(self.p.data);
    const ready = self.p.z === "deflate" ? inflate(raw) : Promise.resolve(raw);
    return ready.then(function (bytes) {
      self.series = decodeSeries(self.p, bytes);
      self.build();
      self.box.classList.add("tbc-on");
      self.render();
    });
  };
  // x coordinates of a series in the current mode, and their ascending order (hover)
  Chart.prototype.xs = function (s) {
    const mode = this.xMode();
    if (s.cache[mode]) return s.cache[mode];
    const n = s.steps.length;
    const x = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      x[i] = mode === "step" ? s.steps[i] : mode === "wall" ? s.wall[i] : (s.wall[i] - s.start) / 1000;
    }
    const order = Array.from({ length: n }, function (_, i) { return i; });
    order.sort(function (a, b) { return x[a] - x[b] || a - b; });
    s.cache[mode] = { x: x, order: order };
    return s.cache[mode];
  };
  // Smoothed values at the page's weight. Where the steps go back (a restart), the
  // average starts again: each attempt is its own line, as TensorBoard smooths each
  // partition of a non-monotonic series on its own.
  Chart.prototype.smoothed = function (s) {
    if (s.noSmooth) return s.values; // a schedule or a sparse series: drawn raw, as the static chart does
    const w = Math.min(state.smoothing, SLIDER_MAX);
    if (s.cache.w === w) return s.cache.sm;
    const out = new Float64Array(s.values.length);
    segments(s).forEach(function (seg) {
      out.set(smooth(s.values.subarray(seg[0], seg[1]), w), seg[0]);
    });
    s.cache.w = w;
    s.cache.sm = out;
    return out;
  };
  Chart.prototype.visible = function () {
    return this.series.filter(function (s) { return !state.hidden.has(s.run) && s.steps.length; });
  };

  // ---------------------------------------------------------------- building
  Chart.prototype.build = function () {
    const self = this;
    const live = h("div", { class: "tbc-live" });
    const plot = h("div", { class: "tbc-plot" });
    self.svg = sv("svg", { class: "tbc-svg", role: "img", tabindex: "0", "aria-label": "interactive chart of " + self.p.tag });
    self.tip = h("div", { class: "tbc-tip", "aria-hidden": "true" });
    plot.appendChild(self.svg);
    plot.appendChild(self.tip);
    live.appendChild(plot);
    live.appendChild(self.buildBar());
    live.appendChild(self.buildLegend());
    self.box.appendChild(live);
    self.plot = plot;
    self.bindPointer();
    if ("ResizeObserver" in window) {
      let width = 0;
      new ResizeObserver(function () {
        if (plot.clientWidth !== width) { width = plot.clientWidth; self.invalidate(); }
      }).observe(plot);
    }
  };
  function button(label, title, cls) {
    const b = h("button", { type: "button", class: "tbc-btn" + (cls ? " " + cls : ""), title: title }, label);
    return b;
  }
  Chart.prototype.buildBar = function () {
    const self = this;
    const bar = h("div", { class: "tbc-bar" });
    self.logBtn = button("Log scale", "Logarithmic y-axis (values ≤ 0 are left out)", "tbc-log");
    self.resetBtn = button("Reset zoom", "Show every step again (or double-click the chart)", "tbc-reset");
    self.logBtn.addEventListener("click", function () { self.log = !self.log; self.invalidate(); });
    self.resetBtn.addEventListener("click", function () { self.zoom = null; self.invalidate(); });
    bar.appendChild(self.logBtn);
    bar.appendChild(self.resetBtn);
    const dl = h("span", { class: "tbc-dl", role: "group", "aria-label": "Download" });
    dl.appendChild(h("span", { class: "tbc-dl-label" }, "Download"));
    [["PNG", "The chart as a PNG image"], ["SVG", "The chart as an SVG image"],
      ["CSV", "The points drawn (every run shown, real logged values) as CSV"]].forEach(function (d) {
      const b = button(d[0], d[1], "tbc-dl-" + d[0].toLowerCase());
      b.addEventListener("click", function () { self.download(d[0].toLowerCase()); });
      dl.appendChild(b);
    });
    bar.appendChild(dl);
    return bar;
  };
  Chart.prototype.buildLegend = function () {
    const self = this;
    const legend = h("div", { class: "tbc-legend", role: "group", "aria-label": "Runs: click to hide or show in every chart" });
    self.chips = [];
    const seen = new Set();
    self.series.forEach(function (s) {
      if (seen.has(s.run)) return;
      seen.add(s.run);
      const chip = h("button", { type: "button", class: "tbc-chip", "aria-pressed": "true", title: s.run });
      const sw = h("span", { class: "tbc-sw", "aria-hidden": "true" });
      chip.appendChild(sw);
      chip.appendChild(nameNode(s.run));
      chip.addEventListener("click", function () { toggleRun(s.run); });
      chip.addEventListener("pointerenter", function () { self.highlight(s.run); });
      chip.addEventListener("pointerleave", function () { self.highlight(null); });
      chip.addEventListener("focus", function () { self.highlight(s.run); });
      chip.addEventListener("blur", function () { self.highlight(null); });
      legend.appendChild(chip);
      self.chips.push({ run: s.run, el: chip, sw: sw, color: s.color });
    });
    return legend;
  };
  Chart.prototype.highlight = function (run) {
    if (!this.groups) return;
    this.groups.forEach(function (g) {
      g.el.setAttribute("opacity", run === null || g.run === run ? "1" : "0.15");
    });
  };

  // ---------------------------------------------------------------- domains
  // The y-range: every value but isolated spikes, as tbreport/render/lines.py's
  // robust_range (the same rule and constants): pieces are the series' values in x order.
  const STRETCH = 2, REACH = 0.5, SPIKE_POINTS = 3, CLIFF = 5;
  function spikes(v, qlo, qhi, median) {
    const n = v.length, out = new Array(n).fill(false), reach = REACH * (qhi - qlo);
    const off = function (i) { return i < 0 || i >= n ? NaN : Math.abs(v[i] - median); };
    [function (x) { return x > qhi + reach; }, function (x) { return x < qlo - reach; }].forEach(function (far) {
      for (let width = 1; width <= Math.min(SPIKE_POINTS, n - 1); width++) {
        for (let a = 0; a + width <= n; a++) {
          let inside = true, low = Infinity;
          for (let k = a; k < a + width; k++) { inside = inside && far(v[k]); low = Math.min(low, off(k)); }
          if (!inside) continue;
          const before = off(a - 1), after = off(a + width);
          const near = Number.isNaN(before) ? after : Number.isNaN(after) ? before : Math.max(before, after);
          if (low > CLIFF * near) for (let k = a; k < a + width; k++) out[k] = true;
        }
      }
    });
    return out;
  }
  function robustRange(pieces) {
    const all = [].concat.apply([], pieces);
    if (!all.length) return null;
    const sorted = Float64Array.from(all).sort();
    let lo = sorted[0], hi = sorted[sorted.length - 1];
    if (sorted.length >= 5) {
      const q = function (p) {
        const at = (sorted.length - 1) * p, i = Math.floor(at);
        return i + 1 < sorted.length ? sorted[i] + (sorted[i + 1] - sorted[i]) * (at - i) : sorted[i];
      };
      const qlo = q(0.05), median = q(0.5), qhi = q(0.95);
      if (qhi > qlo && hi - lo > STRETCH * (qhi - qlo)) {
        let klo = Infinity, khi = -Infinity;
        pieces.forEach(function (v) {
          const out = spikes(v, qlo, qhi, median);
          v.forEach(function (x, k) { if (!out[k]) { klo = Math.min(klo, x); khi = Math.max(khi, x); } });
        });
        if (klo <= khi) { lo = klo; hi = khi; }
      }
    }
    return [lo, hi];
  }
  function extent(vals) {
    let lo = Infinity, hi = -Infinity;
    for (let i = 0; i < vals.length; i++) { if (vals[i] < lo) lo = vals[i]; if (vals[i] > hi) hi = vals[i]; }
    return [lo, hi];
  }
  // 5 % of the span on each side; a flat (or float64-tiny) range gets a sensible one.
  // Linear ranges stay within ±1e300 so spans and steps never overflow (values beyond
  // are marked on the edge like any other point outside the range).
  function padded(r, log) {
    let lo = r[0], hi = r[1];
    if (log) { lo = Math.log10(lo); hi = Math.log10(hi); } else {
      lo = Math.min(1e300, Math.max(lo, -1e300));
      hi = Math.min(1e300, Math.max(hi, -1e300));
    }
    if (!(hi - lo > 1e-300)) {
      const p = lo !== 0 ? Math.abs(lo) * 0.1 : 1;
      lo -= log ? 0.5 : p; hi += log ? 0.5 : p;
    } else {
      const p = (hi - lo) * 0.05;
      lo -= p; hi += p;
    }
    // a log axis stays within 1e-300 ... 1e300 (10 ** the padded ends could leave float64)
    return log ? [Math.pow(10, Math.max(-300, lo)), Math.pow(10, Math.min(300, Math.max(hi, lo + 1)))] : [lo, hi];
  }
  Chart.prototype.domains = function (vis) {
    const self = this;
    let x0 = Infinity, x1 = -Infinity;
    (vis.length ? vis : self.series).forEach(function (s) {
      const o = self.xs(s);
      if (!o.order.length) return;
      x0 = Math.min(x0, o.x[o.order[0]]);
      x1 = Math.max(x1, o.x[o.order[o.order.length - 1]]);
    });
    if (!Number.isFinite(x0)) { x0 = 0; x1 = 1; }
    if (self.zoom) { x0 = self.zoom[0]; x1 = self.zoom[1]; }
    if (!(x1 > x0)) { x0 -= 1; x1 += 1; }
    const vals = [], pieces = [];
    const w = state.smoothing;
    vis.forEach(function (s) {
      const o = self.xs(s), sm = w > 0 ? self.smoothed(s) : null, piece = [];
      for (let k = 0; k < o.order.length; k++) {
        const i = o.order[k];
        if (o.x[i] < x0 || o.x[i] > x1) continue;
        const v = s.values[i];
        if (Number.isFinite(v) && (!self.log || v > 0)) { vals.push(v); piece.push(v); }
        if (sm && self.zoom && Number.isFinite(sm[i]) && (!self.log || sm[i] > 0)) vals.push(sm[i]);
      }
      pieces.push(piece);
    });
    let y = null;
    if (vals.length) {
      // zoomed or --no-outlier-clip: fit every value in view; else leave out spikes
      y = self.zoom || self.p.clip === false ? extent(vals) : robustRange(pieces);
    }
    y = padded(y || (self.log ? [1, 10] : [-1, 1]), self.log);
    return { x: [x0, x1], y: y };
  };

  // ---------------------------------------------------------------- rendering
  Chart.prototype.render = function () {
    if (!this.series) return;
    const width = Math.floor(this.plot.clientWidth);
    if (!width) return;
    this.dirty = false;
    const theme = readTheme(this.box);
    this.theme = theme;
    const height = Math.round(Math.max(200, Math.min(340, width * 0.52)));
    const vis = this.visible();
    const dom = this.domains(vis);
    const font = "11px " + theme.font;
    const yt = this.log ? logTicks(dom.y[0], dom.y[1], Math.max(2, Math.floor(height / 45)))
      : (function () { const r = linearTicks(dom.y[0], dom.y[1], Math.max(2, Math.floor(height / 45))); return { ticks: r.ticks, labels: decimalLabels(r.ticks, r.st), minor: [] }; })();
    const left = Math.ceil(Math.max.apply(null, yt.labels.map(function (l) { return textWidth(l, font); }).concat([10]))) + 12;
    const m = { left: left, right: 14, top: 10, bottom: 26 };
    const pw = Math.max(10, width - m.left - m.right), ph = height - m.top - m.bottom;
    const sc = this.scales(dom, m, pw, ph);
    const svg = this.svg;
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    svg.setAttribute("width", width);
    svg.setAttribute("height", height);
    svg.setAttribute("viewBox", "0 0 " + width + " " + height);
    svg.setAttribute("font-family", theme.font);
    Object.entries({ x0: dom.x[0], x1: dom.x[1], y0: dom.y[0], y1: dom.y[1], scale: this.log ? "log" : "linear",
      left: m.left, top: m.top, pw: pw, ph: ph, xaxis: this.xMode() }).forEach(function (kv) { svg.setAttribute("data-" + kv[0], kv[1]); });
    svg.appendChild(sv("rect", { x: 0, y: 0, width: width, height: height, fill: theme.bg }));
    this.drawAxes(svg, sc, yt, dom, theme, m, pw, ph);
    this.drawLines(svg, sc, vis, theme, m, pw, ph);
    if (!vis.length) {
      svg.appendChild(sv("text", { x: m.left + pw / 2, y: m.top + ph / 2, "text-anchor": "middle", "font-size": 12, fill: theme.muted },
        this.series.length ? "Every run of this chart is hidden" : "No data"));
    }
    this.overlay = sv("g", { class: "tbc-overlay" });
    svg.appendChild(this.overlay);
    this.sc = sc;
    this.geom = { m: m, pw: pw, ph: ph, width: width, height: height };
    this.updateChrome();
    if (this.hoverPx !== null) this.hoverAt(this.hoverPx); else this.hideTip();
  };
  Chart.prototype.scales = function (dom, m, pw, ph) {
    const log = this.log;
    const ly0 = log ? Math.log10(dom.y[0]) : dom.y[0], ly1 = log ? Math.log10(dom.y[1]) : dom.y[1];
    return {
      x: function (x) { return m.left + ((x - dom.x[0]) / (dom.x[1] - dom.x[0])) * pw; },
      y: function (y) { return m.top + ((ly1 - (log ? Math.log10(y) : y)) / (ly1 - ly0)) * ph; },
      invX: function (px) { return dom.x[0] + ((px - m.left) / pw) * (dom.x[1] - dom.x[0]); },
      dom: dom,
    };
  };
  Chart.prototype.drawAxes = function (svg, sc, yt, dom, theme, m, pw, ph) {
    const g = sv("g", { class: "tbc-axes", "font-size": 11, fill: theme.muted });
    const mode = this.xMode();
    const xcount = Math.max(2, Math.floor(pw / 90));
    let xt;
    if (mode === "wall") xt = wallTicks(dom.x[0], dom.x[1], xcount);
    else if (mode === "relative") xt = relativeTicks(dom.x[0], dom.x[1], xcount);
    else { const r = linearTicks(dom.x[0], dom.x[1], xcount); xt = { ticks: r.ticks, labels: siLabels(r.ticks, r.st) }; }
    const bottom = m.top + ph;
    yt.minor.forEach(function (v) {
      const y = sc.y(v).toFixed(1);
      g.appendChild(sv("line", { x1: m.left, x2: m.left + pw, y1: y, y2: y, stroke: theme.grid, "stroke-width": 0.5, "stroke-dasharray": "2 3" }));
    });
    yt.ticks.forEach(function (v, i) {
      const y = sc.y(v);
      if (y < m.top - 0.5 || y > bottom + 0.5) return;
      g.appendChild(sv("line", { x1: m.left, x2: m.left + pw, y1: y.toFixed(1), y2: y.toFixed(1), stroke: theme.grid, "stroke-width": 1 }));
      g.appendChild(sv("text", { x: m.left - 7, y: (y + 4).toFixed(1), "text-anchor": "end" }, yt.labels[i]));
    });
    xt.ticks.forEach(function (v, i) {
      const x = sc.x(v);
      if (x < m.left - 0.5 || x > m.left + pw + 0.5) return;
      g.appendChild(sv("line", { x1: x.toFixed(1), x2: x.toFixed(1), y1: m.top, y2: bottom, stroke: theme.grid, "stroke-width": 1 }));
      g.appendChild(sv("line", { x1: x.toFixed(1), x2: x.toFixed(1), y1: bottom, y2: bottom + 4, stroke: theme.axis, "stroke-width": 1 }));
      g.appendChild(sv("text", { x: x.toFixed(1), y: bottom + 17, "text-anchor": "middle" }, xt.labels[i]));
    });
    g.appendChild(sv("line", { x1: m.left, x2: m.left + pw, y1: bottom + 0.5, y2: bottom + 0.5, stroke: theme.axis, "stroke-width": 1 }));
    g.appendChild(sv("line", { x1: m.left - 0.5, x2: m.left - 0.5, y1: m.top, y2: bottom, stroke: theme.axis, "stroke-width": 1 }));
    svg.appendChild(g);
  };
  // A path of the points in order, broken at non-finite values, at values a log axis
  // cannot show and where the x goes back (a restart); lone points come back apart.
  function pathOf(x, y, sc, log, box) {
    let d = "", run = 0, lastX = -Infinity, prev = null;
    const dots = [];
    const lo = box.top - box.ph * 2, hi = box.top + box.ph * 3;
    for (let i = 0; i < x.length; i++) {
      const v = y[i];
      const ok = Number.isFinite(v) && (!log || v > 0) && Number.isFinite(x[i]);
      if (!ok || x[i] < lastX) {
        if (run === 1) dots.push(prev);
        run = 0;
        if (!ok) continue;
      }
      const px = sc.x(x[i]), py = Math.max(lo, Math.min(hi, sc.y(v)));
      d += (run === 0 ? "M" : "L") + px.toFixed(1) + "," + py.toFixed(1);
      run++;
      lastX = x[i];
      prev = [px, py];
    }
    if (run === 1) dots.push(prev);
    return { d: d, dots: dots };
  }
  // The min-max band of a dense series (as the static chart draws it): per 4 px of the
  // plot, the smallest and largest value shown, from the column's first to its last
  // point; a polygon per stretch without gaps (non-finite values, values <= 0 on a log
  // axis). Lone columns are left out (the smoothed line still shows them).
  function bandPaths(o, y, sc, log, box) {
    const out = [];
    const lo = box.top - box.ph * 2, hi = box.top + box.ph * 3;
    let cols = [], cur = null;
    const close = function () {
      if (cur) cols.push(cur);
      cur = null;
      if (cols.length > 1) {
        const top = cols.map(function (c) { return c.x0.toFixed(1) + "," + c.hi.toFixed(1) + "L" + c.x1.toFixed(1) + "," + c.hi.toFixed(1); });
        const bottom = cols.slice().reverse().map(function (c) { return c.x1.toFixed(1) + "," + c.lo.toFixed(1) + "L" + c.x0.toFixed(1) + "," + c.lo.toFixed(1); });
        out.push("M" + top.join("L") + "L" + bottom.join("L") + "Z");
      }
      cols = [];
    };
    for (let j = 0; j < o.order.length; j++) {
      const i = o.order[j], v = y[i], xv = o.x[i];
      if (!Number.isFinite(v) || !Number.isFinite(xv) || (log && v <= 0)) { close(); continue; }
      const px = sc.x(xv), py = Math.max(lo, Math.min(hi, sc.y(v)));
      const col = Math.floor(px / 4);
      if (cur && cur.col !== col) { cols.push(cur); cur = null; }
      if (!cur) cur = { col: col, x0: px, x1: px, lo: py, hi: py };
      cur.x1 = px;
      if (py > cur.lo) cur.lo = py;
      if (py < cur.hi) cur.hi = py;
    }
    close();
    return out;
  }
  Chart.prototype.drawLines = function (svg, sc, vis, theme, m, pw, ph) {
    const self = this;
    // a nested <svg> over the plot area clips the lines to it (its viewBox keeps the
    // outer coordinates): no clip-path, no id to collide, no reference by fragment
    const vb = [m.left, m.top - 1, pw, ph + 2];
    const lines = sv("svg", { x: vb[0], y: vb[1], width: vb[2], height: vb[3], viewBox: vb.join(" "), overflow: "hidden",
      fill: "none", "stroke-linejoin": "round", "stroke-linecap": "round" });
    const marks = sv("g", { class: "tbc-marks" });
    const w = state.smoothing;
    const box = { top: m.top, ph: ph };
    self.groups = [];
    vis.forEach(function (s) {
      const color = lineColor(s.color, theme);
      const g = sv("g", { class: "tbc-series", "data-run": s.run });
      const o = self.xs(s);
      const raw = pathOf(o.x, s.values, sc, self.log, box);
      const faded = w > 0 && !s.noSmooth;
      const dash = s.dash ? { "stroke-dasharray": s.dash } : {};
      if (faded && s.band) {
        // dense and smoothed: a light min-max band instead of every raw point
        bandPaths(o, s.values, sc, self.log, box).forEach(function (d) {
          g.appendChild(sv("path", { d: d, fill: color, "fill-opacity": 0.2, stroke: "none", class: "tbc-band" }));
        });
      } else {
        g.appendChild(sv("path", Object.assign({ d: raw.d, stroke: color, "stroke-width": faded ? 1.25 : 1.75, "stroke-opacity": faded ? 0.3 : 1, class: "tbc-raw" }, dash)));
      }
      if (faded) {
        const sm = pathOf(o.x, self.smoothed(s), sc, self.log, box);
        g.appendChild(sv("path", Object.assign({ d: sm.d, stroke: color, "stroke-width": 1.75, class: "tbc-smooth" }, dash)));
      }
      raw.dots.forEach(function (p) {
        g.appendChild(sv("circle", { cx: p[0].toFixed(1), cy: p[1].toFixed(1), r: 3, fill: color, stroke: "none" }));
      });
      lines.appendChild(g);
      self.groups.push({ run: s.run, el: g });
      self.drawMarks(marks, s, o.x, sc, color, theme, m, pw, ph);
    });
    // dashed reference lines (the --baseline's last value), as the static chart draws them
    (Array.isArray(self.p.refs) ? self.p.refs : []).forEach(function (r) {
      const y = Number(r && r[1]);
      if (!Number.isFinite(y) || (self.log && y <= 0)) return;
      const py = sc.y(y);
      if (py < m.top || py > m.top + ph) return;
      lines.appendChild(sv("line", { class: "tbc-ref", x1: m.left, x2: m.left + pw, y1: py.toFixed(1), y2: py.toFixed(1),
        stroke: lineColor(safeColor(r[0], 0), theme), "stroke-width": 1.1, "stroke-dasharray": "5 3" }));
    });
    svg.appendChild(lines);
    svg.appendChild(marks);
  };
  function tri(x, y, up, size) {
    const s = size, hgt = size * 0.9;
    return "M" + x.toFixed(1) + "," + (up ? y - hgt : y + hgt).toFixed(1) + "L" + (x - s).toFixed(1) + "," +
      (up ? y + hgt : y - hgt).toFixed(1) + "L" + (x + s).toFixed(1) + "," + (up ? y + hgt : y - hgt).toFixed(1) + "Z";
  }
  // NaN: ✕ on the bottom edge; ±inf: filled ▲/▼ on the top/bottom edge; the most
  // extreme finite point beyond the y-range on each side: a hollow ▲/▼ (as the static
  // chart marks them).
  Chart.prototype.drawMarks = function (g, s, x, sc, color, theme, m, pw, ph) {
    const top = m.top + 5, bottom = m.top + ph - 5;
    const dom = sc.dom;
    let above = -1, below = -1;
    for (let i = 0; i < x.length; i++) {
      if (x[i] < dom.x[0] || x[i] > dom.x[1]) continue;
      const v = s.values[i], px = sc.x(x[i]);
      if (Number.isNaN(v)) {
        g.appendChild(sv("path", { d: "M" + (px - 3.5) + "," + (bottom - 3.5) + "l7,7m0,-7l-7,7", stroke: color, "stroke-width": 1.8, fill: "none", class: "tbc-nan" }));
      } else if (v === Infinity || v === -Infinity) {
        g.appendChild(sv("path", { d: tri(px, v > 0 ? top : bottom, v > 0, 4.5), fill: color, class: "tbc-inf" }));
      } else if (v > dom.y[1]) {
        if (above < 0 || v > s.values[above]) above = i;
      } else if (v < dom.y[0] && (!this.log || v > 0)) {
        if (below < 0 || v < s.values[below]) below = i;
      }
    }
    [[above, top, true], [below, bottom, false]].forEach(function (a) {
      if (a[0] < 0) return;
      g.appendChild(sv("path", { d: tri(sc.x(x[a[0]]), a[1], a[2], 4), fill: theme.bg, stroke: color, "stroke-width": 1.4, class: "tbc-beyond" }));
    });
  };
  Chart.prototype.updateChrome = function () {
    const theme = this.theme;
    this.logBtn.setAttribute("aria-pressed", this.log ? "true" : "false");
    this.resetBtn.disabled = !this.zoom;
    this.chips.forEach(function (c) {
      const off = state.hidden.has(c.run);
      c.el.setAttribute("aria-pressed", off ? "false" : "true");
      c.el.classList.toggle("tbc-off", off);
      const color = lineColor(c.color, theme);
      c.sw.style.background = off ? "transparent" : color;
      c.sw.style.borderColor = color;
    });
  };

  // ---------------------------------------------------------------- hover readout
  function nearest(o, xv) {
    const ord = o.order, x = o.x;
    let lo = 0, hi = ord.length - 1;
    if (hi < 0) return -1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (x[ord[mid]] < xv) lo = mid + 1; else hi = mid;
    }
    // lo: first at or after xv; pick the nearer neighbour, the later point on a tie
    if (lo > 0 && xv - x[ord[lo - 1]] < x[ord[lo]] - xv) lo -= 1;
    while (lo + 1 < ord.length && x[ord[lo + 1]] === x[ord[lo]]) lo += 1;
    return ord[lo];
  }
  Chart.prototype.hoverAt = function (px, py) {
    if (!this.sc) return;
    const self = this, g = self.geom;
    px = Math.max(g.m.left, Math.min(g.m.left + g.pw, px));
    self.hoverPx = px;
    if (py !== undefined) self.hoverPy = py;
    const xv = self.sc.invX(px);
    const rows = [];
    self.visible().forEach(function (s) {
      const o = self.xs(s);
      const i = nearest(o, xv);
      if (i < 0) return;
      rows.push({ s: s, i: i, x: o.x[i], attempt: attemptOf(s, i) });
    });
    self.drawHover(rows);
    self.fillTip(rows, px);
  };
  // [start, end) of each attempt of a series: a new one where the step goes back
  function segments(s) {
    if (s.cache.segs) return s.cache.segs;
    const out = [];
    let from = 0;
    for (let j = 1; j < s.steps.length; j++) {
      if (s.steps[j] < s.steps[j - 1]) { out.push([from, j]); from = j; }
    }
    out.push([from, s.steps.length]);
    s.cache.segs = out;
    return out;
  }
  function attemptOf(s, i) {
    const segs = segments(s);
    if (segs.length < 2) return 0;
    for (let a = 0; a < segs.length; a++) if (i < segs[a][1]) return a + 1;
    return segs.length;
  }
  Chart.prototype.drawHover = function (rows) {
    const ov = this.overlay, sc = this.sc, g = this.geom, theme = this.theme, self = this;
    while (ov.firstChild) ov.removeChild(ov.firstChild);
    if (!rows.length) return;
    const snap = sc.x(rows.reduce(function (best, r) { return Math.abs(sc.x(r.x) - self.hoverPx) < Math.abs(sc.x(best.x) - self.hoverPx) ? r : best; }).x);
    ov.appendChild(sv("line", { x1: snap.toFixed(1), x2: snap.toFixed(1), y1: g.m.top, y2: g.m.top + g.ph, stroke: theme.axis, "stroke-width": 1, "stroke-dasharray": "3 3" }));
    const w = state.smoothing;
    rows.forEach(function (r) {
      const v = w > 0 ? self.smoothed(r.s)[r.i] : r.s.values[r.i];
      if (!Number.isFinite(v) || (self.log && v <= 0)) return;
      const y = sc.y(v);
      if (y < g.m.top || y > g.m.top + g.ph) return;
      ov.appendChild(sv("circle", { cx: sc.x(r.x).toFixed(1), cy: y.toFixed(1), r: 4, fill: lineColor(r.s.color, theme), stroke: theme.bg, "stroke-width": 1.5 }));
    });
  };
  Chart.prototype.fillTip = function (rows, px) {
    const tip = this.tip, self = this, w = state.smoothing;
    while (tip.firstChild) tip.removeChild(tip.firstChild);
    if (!rows.length) { this.hideTip(); return; }
    let shown = rows;
    if (rows.length > TIP_ROWS) {
      // many runs: the ones nearest the pointer's height, highest value first
      const yv = this.hoverPy === null ? this.geom.m.top + this.geom.ph / 2 : this.hoverPy;
      shown = rows.slice().sort(function (a, b) {
        return Math.abs(self.sc.y(a.s.values[a.i]) - yv) - Math.abs(self.sc.y(b.s.values[b.i]) - yv);
      }).slice(0, TIP_ROWS).sort(function (a, b) { return b.s.values[b.i] - a.s.values[a.i] || a.s.index - b.s.index; });
    }
    const table = h("table");
    const head = h("tr");
    [["", ""], ["Run", ""]].concat(w > 0 ? [["Smoothed", "tbc-num"]] : []).concat([["Value", "tbc-num"],
      ["Step", "tbc-num"], ["Time (UTC)", "tbc-num tbc-time tbc-wall"], ["Relative", "tbc-num tbc-time tbc-rel"]]).forEach(function (c) {
      head.appendChild(h("th", { class: c[1] }, c[0]));
    });
    table.appendChild(h("thead")).appendChild(head);
    const body = table.appendChild(h("tbody"));
    shown.forEach(function (r) { body.appendChild(self.tipRow(r, w)); });
    tip.appendChild(table);
    if (shown.length < rows.length) tip.appendChild(h("p", { class: "tbc-more" }, "and " + (rows.length - shown.length) + " more runs"));
    tip.style.display = "block";
    // columns give way, the relative time first, until the readout fits the chart
    const pwidth = this.plot.clientWidth;
    tip.style.left = "0px";
    tip.classList.remove("tbc-mid", "tbc-narrow");
    if (tip.scrollWidth > tip.clientWidth + 1) tip.classList.add("tbc-mid");
    if (tip.scrollWidth > tip.clientWidth + 1) tip.classList.add("tbc-narrow");
    const tw = tip.offsetWidth;
    let left = px > pwidth / 2 ? px - tw - 14 : px + 14;
    left = Math.max(0, Math.min(pwidth - tw, left));
    tip.style.left = left + "px";
    tip.style.top = (this.geom.m.top + 4) + "px";
  };
  Chart.prototype.tipRow = function (r, w) {
    const s = r.s, v = s.values[r.i];
    const tr = h("tr", { "data-run": s.run, "data-step": String(s.steps[r.i]) });
    const sw = h("span", { class: "tbc-sw" });
    sw.style.background = lineColor(s.color, this.theme);
    tr.appendChild(h("td")).appendChild(sw);
    const name = h("td", { class: "tbc-name" });
    name.appendChild(nameNode(s.run, true));
    const extra = [s.label, r.attempt ? "attempt " + r.attempt : ""].filter(Boolean).join(" · ");
    if (extra) name.appendChild(h("span", { class: "tbc-label" }, " · " + extra));
    tr.appendChild(name);
    const cell = function (text, cls, exactValue) {
      const td = h("td", { class: "tbc-num " + cls }, text);
      if (exactValue !== undefined) td.setAttribute("data-value", exactValue);
      tr.appendChild(td);
    };
    if (w > 0) { const sm = this.smoothed(s)[r.i]; cell(fmtValue(sm), "tbc-smoothed", exact(sm)); }
    cell(fmtValue(v), "tbc-value", exact(v));
    cell(fmtInt(s.steps[r.i]), "tbc-step");
    cell(fmtTime(s.wall[r.i]), "tbc-time tbc-wall");
    cell(s.wall[r.i] ? fmtDuration((s.wall[r.i] - s.start) / 1000) : "—", "tbc-time tbc-rel");
    return tr;
  };
  Chart.prototype.hideTip = function () {
    this.hoverPx = null;
    this.tip.style.display = "none";
    if (this.overlay) while (this.overlay.firstChild) this.overlay.removeChild(this.overlay.firstChild);
  };

  // ---------------------------------------------------------------- pointer, zoom, keys
  Chart.prototype.localX = function (e) {
    const r = this.svg.getBoundingClientRect();
    this.hoverPy = e.clientY - r.top;
    return e.clientX - r.left;
  };
  Chart.prototype.bindPointer = function () {
    const self = this, svg = self.svg;
    let drag = null;
    svg.addEventListener("pointerdown", function (e) {
      if (e.pointerType === "mouse" && e.button === 0 && self.geom) {
        drag = { x0: self.localX(e), id: e.pointerId };
        svg.setPointerCapture(e.pointerId);
        e.preventDefault();
      } else if (e.pointerType !== "mouse") {
        self.hoverAt(self.localX(e));
      }
    });
    svg.addEventListener("pointermove", function (e) {
      const x = self.localX(e);
      if (drag && Math.abs(x - drag.x0) > 3) self.drawSelection(drag.x0, x);
      else self.hoverAt(x);
    });
    svg.addEventListener("pointerup", function (e) {
      if (!drag) return;
      const x = self.localX(e), x0 = drag.x0;
      drag = null;
      if (svg.hasPointerCapture(e.pointerId)) svg.releasePointerCapture(e.pointerId);
      if (Math.abs(x - x0) > 5) self.zoomTo(x0, x); else self.hoverAt(x);
    });
    svg.addEventListener("pointercancel", function () { drag = null; self.hideTip(); });
    svg.addEventListener("pointerleave", function (e) { if (e.pointerType === "mouse" && !drag) self.hideTip(); });
    svg.addEventListener("dblclick", function () { if (self.zoom) { self.zoom = null; self.invalidate(); } });
    svg.addEventListener("keydown", function (e) { self.key(e); });
    svg.addEventListener("blur", function () { self.hideTip(); });
  };
  Chart.prototype.drawSelection = function (a, b) {
    const g = this.geom;
    const lo = Math.max(g.m.left, Math.min(a, b)), hi = Math.min(g.m.left + g.pw, Math.max(a, b));
    const ov = this.overlay;
    while (ov.firstChild) ov.removeChild(ov.firstChild);
    this.tip.style.display = "none";
    ov.appendChild(sv("rect", { class: "tbc-selection", x: lo, y: g.m.top, width: Math.max(0, hi - lo), height: g.ph,
      fill: this.theme.sel, "fill-opacity": 0.12, stroke: this.theme.sel, "stroke-opacity": 0.6 }));
  };
  Chart.prototype.zoomTo = function (a, b) {
    const g = this.geom;
    const lo = Math.max(g.m.left, Math.min(a, b)), hi = Math.min(g.m.left + g.pw, Math.max(a, b));
    if (hi - lo < 2) return;
    this.zoom = [this.sc.invX(lo), this.sc.invX(hi)];
    this.hoverPx = null;
    this.invalidate();
  };
  Chart.prototype.key = function (e) {
    if (!this.sc) return;
    const self = this;
    if (e.key === "Escape") { self.hideTip(); return; }
    if (e.key !== "ArrowLeft" && e.key !== "ArrowRight" && e.key !== "Home" && e.key !== "End") return;
    e.preventDefault();
    const xs = [];
    self.visible().forEach(function (s) { const o = self.xs(s); o.order.forEach(function (i) { xs.push(o.x[i]); }); });
    if (!xs.length) return;
    xs.sort(function (a, b) { return a - b; });
    const dom = self.sc.dom;
    const inView = xs.filter(function (x) { return x >= dom.x[0] && x <= dom.x[1]; });
    if (!inView.length) return;
    const cur = self.hoverPx === null ? null : self.sc.invX(self.hoverPx);
    let next;
    if (e.key === "Home" || cur === null) next = inView[0];
    else if (e.key === "End") next = inView[inView.length - 1];
    else if (e.key === "ArrowRight") next = inView.find(function (x) { return self.sc.x(x) > self.hoverPx + 0.5; });
    else next = inView.slice().reverse().find(function (x) { return self.sc.x(x) < self.hoverPx - 0.5; });
    if (next !== undefined) self.hoverAt(self.sc.x(next));
  };

  // ---------------------------------------------------------------- downloads
  function fileName(tag, ext) {
    const base = String(tag).replace(/[^A-Za-z0-9._-]+/g, "_").replace(/^[._]+|_+$/g, "").slice(0, 80);
    return (base || "chart") + "." + ext;
  }
  function csvText(s) {
    s = String(s);
    if (/^[=+\-@\t\r]/.test(s)) s = "'" + s; // a spreadsheet would run it as a formula
    return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
  }
  Chart.prototype.csv = function () {
    const self = this, w = state.smoothing;
    const vis = self.visible();
    const labels = vis.some(function (s) { return s.label; });
    const head = ["run"].concat(labels ? ["label"] : []).concat(["step", "wall_time", "value"]).concat(w > 0 ? ["smoothed"] : []);
    const lines = [head.join(",")];
    vis.forEach(function (s) {
      const sm = w > 0 ? self.smoothed(s) : null;
      for (let i = 0; i < s.steps.length; i++) {
        const row = [csvText(s.run)].concat(labels ? [csvText(s.label)] : []);
        row.push(String(s.steps[i]), s.wall[i] ? String(s.wall[i] / 1000) : "", exact(s.values[i]));
        if (sm) row.push(exact(sm[i]));
        lines.push(row.join(","));
      }
    });
    return "\ufeff" + lines.join("\r\n") + "\r\n";
  };
  // A standalone SVG: title, the chart as drawn (no hover), a legend of the runs shown.
  Chart.prototype.exportSvg = function () {
    const theme = this.theme, g = this.geom, self = this;
    const vis = this.visible();
    const font = "12px " + theme.font;
    const items = [];
    let x = 12, y = 0, rowH = 18;
    vis.forEach(function (s) {
      const label = s.run + (s.label ? " · " + s.label : "");
      const wdt = 18 + textWidth(label, font) + 14;
      if (x + wdt > g.width - 8 && x > 12) { x = 12; y += rowH; }
      items.push({ x: x, y: y, label: label, color: lineColor(s.color, theme) });
      x += wdt;
    });
    const titleH = 30, legendH = vis.length ? y + rowH + 10 : 0;
    const total = titleH + g.height + legendH;
    const root = sv("svg", { width: g.width, height: total, viewBox: "0 0 " + g.width + " " + total, "font-family": theme.font });
    root.appendChild(sv("rect", { x: 0, y: 0, width: g.width, height: total, fill: theme.bg }));
    root.appendChild(sv("text", { x: 12, y: 20, "font-size": 13, "font-weight": "600", fill: theme.fg }, self.p.tag));
    const note = "smoothing " + state.smoothing.toFixed(3).replace(/0+$/, "").replace(/\.$/, "") + (self.log ? " · log y" : "");
    root.appendChild(sv("text", { x: g.width - 12, y: 20, "font-size": 11, "text-anchor": "end", fill: theme.muted }, note));
    const chart = self.svg.cloneNode(true);
    const ov = chart.querySelector(".tbc-overlay");
    if (ov) ov.parentNode.removeChild(ov);
    const wrap = sv("g", { transform: "translate(0," + titleH + ")" });
    Array.from(chart.childNodes).forEach(function (n) { wrap.appendChild(n); });
    root.appendChild(wrap);
    const leg = sv("g", { transform: "translate(0," + (titleH + g.height + 4) + ")", "font-size": 12, fill: theme.fg });
    items.forEach(function (it) {
      leg.appendChild(sv("rect", { x: it.x, y: it.y + 3, width: 11, height: 11, rx: 2, fill: it.color }));
      leg.appendChild(sv("text", { x: it.x + 16, y: it.y + 13 }, it.label));
    });
    root.appendChild(leg);
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + new XMLSerializer().serializeToString(root);
  };
  function save(name, href) {
    const a = h("a", { href: href, download: name });
    a.style.display = "none";
    document.body.appendChild(a);
    a.click();
    document.body.removeChild(a);
  }
  function utf8Base64(text) {
    const bytes = new TextEncoder().encode(text);
    let bin = "";
    for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    return btoa(bin);
  }
  Chart.prototype.download = function (kind) {
    const self = this;
    if (!self.geom) return;
    if (kind === "csv") {
      save(fileName(self.p.tag, "csv"), "data:text/csv;charset=utf-8;base64," + utf8Base64(self.csv()));
      return;
    }
    const svgText = self.exportSvg();
    const svgUri = "data:image/svg+xml;base64," + utf8Base64(svgText);
    if (kind === "svg") { save(fileName(self.p.tag, "svg"), svgUri); return; }
    const img = new Image();
    img.addEventListener("load", function () {
      const scale = 2;
      const canvas = document.createElement("canvas");
      canvas.width = img.naturalWidth * scale;
      canvas.height = img.naturalHeight * scale;
      const ctx = canvas.getContext("2d");
      ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
      save(fileName(self.p.tag, "png"), canvas.toDataURL("image/png"));
    });
    img.src = svgUri;
  };

  // ---------------------------------------------------------------- page controls
  function buildControls(first) {
    let box = document.querySelector(".tbc-controls");
    if (!box) {
      box = h("div", { class: "tbc-controls" });
      const anchor = first.closest(".cards") || first;
      anchor.parentNode.insertBefore(box, anchor);
    }
    while (box.firstChild) box.removeChild(box.firstChild);
    box.setAttribute("role", "group");
    box.setAttribute("aria-label", "Settings of every chart");
    const smoothing = h("label", { class: "tbc-ctl tbc-smoothing" });
    smoothing.appendChild(h("span", null, "Smoothing"));
    const input = h("input", { type: "range", min: "0", max: String(SLIDER_MAX), step: "0.001" });
    input.value = String(state.smoothing);
    const out = h("output", null, state.smoothing.toFixed(3));
    smoothing.appendChild(input);
    smoothing.appendChild(out);
    input.addEventListener("input", function () { setState({ smoothing: parseFloat(input.value) || 0 }); });
    const xaxis = h("label", { class: "tbc-ctl tbc-xaxis" });
    xaxis.appendChild(h("span", null, "X-axis"));
    const select = h("select");
    [["step", "Step"], ["relative", "Relative"], ["wall", "Wall time"]].forEach(function (o) {
      select.appendChild(h("option", { value: o[0] }, o[1]));
    });
    select.value = state.x;
    select.addEventListener("change", function () {
      charts.forEach(function (c) { c.zoom = null; });
      setState({ x: select.value });
    });
    xaxis.appendChild(select);
    const hidden = h("span", { class: "tbc-ctl tbc-hidden", "aria-live": "polite" });
    const text = h("span");
    const all = h("button", { type: "button", class: "tbc-btn" }, "Show all runs");
    all.addEventListener("click", function () { setState({ hidden: new Set() }); });
    hidden.appendChild(text);
    hidden.appendChild(all);
    box.appendChild(smoothing);
    box.appendChild(xaxis);
    box.appendChild(hidden);
    controls = { box: box, input: input, out: out, select: select, hidden: hidden, text: text };
    updateControls();
  }
  // Any element of the page with data-tbc-run="NAME" (a row of the report's legend
  // table, of its run table) toggles that run too, and shows whether it is hidden.
  let externals = [];
  function bindExternalToggles() {
    externals = Array.from(document.querySelectorAll("[data-tbc-run]"));
    externals.forEach(function (el) {
      const run = el.getAttribute("data-tbc-run");
      if (el.tagName !== "BUTTON") { el.setAttribute("role", "button"); el.tabIndex = 0; }
      el.classList.add("tbc-toggle");
      el.title = el.title || "Hide or show this run in every chart";
      el.addEventListener("click", function (e) {
        if (e.target.closest && e.target.closest("a, input, select, textarea")) return;
        toggleRun(run);
      });
      el.addEventListener("keydown", function (e) {
        if (e.target === el && (e.key === "Enter" || e.key === " ")) { e.preventDefault(); toggleRun(run); }
      });
    });
  }
  function updateControls() {
    externals.forEach(function (el) {
      const off = state.hidden.has(el.getAttribute("data-tbc-run"));
      el.setAttribute("aria-pressed", off ? "false" : "true");
      el.classList.toggle("tbc-off", off);
    });
    if (!controls) return;
    controls.input.value = String(state.smoothing);
    controls.out.textContent = state.smoothing.toFixed(3);
    controls.select.value = state.x;
    const n = state.hidden.size;
    controls.text.textContent = n ? n + " run" + (n === 1 ? "" : "s") + " hidden" : "";
    controls.hidden.style.display = n ? "" : "none";
  }

  // ---------------------------------------------------------------- start
  function start() {
    const boxes = Array.from(document.querySelectorAll(".tbc"));
    if (!boxes.length) return;
    const settings = document.querySelector(".tbc-controls");
    const firstPayload = readPayload(boxes[0]);
    const initial = settings && settings.hasAttribute("data-smoothing") ? parseFloat(settings.getAttribute("data-smoothing"))
      : firstPayload ? firstPayload.smoothing : 0.6;
    state.smoothing = Number.isFinite(initial) ? Math.max(0, Math.min(SLIDER_MAX, initial)) : 0.6;
    state.x = (settings && settings.getAttribute("data-x")) || (firstPayload && firstPayload.x) || "step";
    bindExternalToggles();
    buildControls(boxes[0]);
    const io = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        const box = entry.target;
        let chart = box.tbcChart;
        if (!chart) {
          if (!entry.isIntersecting) return;
          const payload = readPayload(box);
          if (!payload) return;
          chart = box.tbcChart = new Chart(box, payload);
          charts.push(chart);
          chart.onScreen = true;
          chart.load().catch(function (err) {
            // the static image stays: the chart reads as without JavaScript
            box.setAttribute("data-tbc-error", String(err && err.message ? err.message : err));
          });
          return;
        }
        chart.onScreen = entry.isIntersecting;
        if (chart.onScreen && chart.dirty) schedule(chart);
      });
    }, { rootMargin: "400px 0px" });
    boxes.forEach(function (b) { io.observe(b); });
    if (window.matchMedia) {
      const mq = window.matchMedia("(prefers-color-scheme: dark)");
      const again = function () { charts.forEach(function (c) { c.invalidate(); }); };
      if (mq.addEventListener) mq.addEventListener("change", again); else if (mq.addListener) mq.addListener(again);
    }
    document.addEventListener("pointerdown", function (e) {
      charts.forEach(function (c) { if (c.svg && !c.svg.contains(e.target) && c.hoverPx !== null) c.hideTip(); });
    });
  }
  function readPayload(box) {
    const el = box.querySelector("script.tbc-data");
    if (!el) return null;
    try {
      const p = JSON.parse(el.textContent);
      return p && p.v === 1 && Array.isArray(p.series) ? p : null;
    } catch (err) {
      box.setAttribute("data-tbc-error", "unreadable chart data");
      return null;
    }
  }
  window.tbcharts = { smooth: smooth, version: 1 };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
