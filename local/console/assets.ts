/**
 * The console's only assets, served by the stack itself (no CDN): one stylesheet and one small
 * script. The script refreshes the parts of a page marked `data-live` while the page says it is
 * live (`<body data-live="1">`), by fetching the same page again: the server renders every view,
 * the script only swaps it in (never a part holding the focus, so a reason being typed stays).
 */
export const CONSOLE_CSS = `
:root{--fg:#1f2328;--muted:#656d76;--line:#d0d7de;--bg:#f6f8fa;--ok:#1a7f37;--bad:#cf222e;--run:#0969da;--wait:#9a6700}
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);margin:0;line-height:1.45}
header{background:#24292f;color:#fff;padding:.6rem 1.2rem;display:flex;gap:1.2rem;align-items:center;flex-wrap:wrap}
header a{color:#fff;text-decoration:none}header a:hover{text-decoration:underline}
header strong{margin-right:1rem}
main{padding:1rem 1.2rem;max-width:90rem}
h1{font-size:1.4rem;margin:.4rem 0 1rem}h2{font-size:1.1rem;margin:1.4rem 0 .5rem}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{border-bottom:1px solid var(--line);padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:var(--bg)}
pre{background:var(--bg);padding:.6rem;overflow:auto;max-height:24rem;font-size:.82rem;margin:.2rem 0}
code{font-size:.88rem}
.muted{color:var(--muted)}
.badge{display:inline-block;padding:0 .45rem;border-radius:1rem;font-size:.8rem;border:1px solid var(--line)}
.s-SUCCEEDED{color:var(--ok);border-color:var(--ok)}.s-FAILED,.s-TIMED_OUT,.s-ABORTED{color:var(--bad);border-color:var(--bad)}
.s-RUNNING{color:var(--run);border-color:var(--run)}
.card{border:1px solid var(--line);border-radius:6px;padding:.8rem 1rem;margin:.8rem 0}
form.inline{display:inline}
label{display:block;margin:.5rem 0 .15rem;font-weight:600}
input[type=text],input[type=number],textarea,select{width:100%;max-width:40rem;padding:.35rem;font:inherit;border:1px solid var(--line);border-radius:4px}
textarea{font-family:ui-monospace,monospace;font-size:.85rem}
button{font:inherit;padding:.35rem .9rem;border-radius:5px;border:1px solid var(--line);background:#f6f8fa;cursor:pointer}
button.primary{background:#1f883d;color:#fff;border-color:#1f883d}
button.danger{background:#cf222e;color:#fff;border-color:#cf222e}
.flash{background:#ddf4ff;border:1px solid #54aeff;padding:.5rem .8rem;border-radius:6px}
.error{background:#ffebe9;border:1px solid #ff8182;padding:.5rem .8rem;border-radius:6px}
.graph-wrap{overflow:auto;border:1px solid var(--line);border-radius:6px;background:#fff;max-height:80vh}
svg.graph text{font-size:12px;text-anchor:middle;dominant-baseline:auto;fill:var(--fg)}
svg.graph .edge path{fill:none;stroke:#8c959f;stroke-width:1.2}
svg.graph .edge.catch path{stroke-dasharray:4 3;stroke:#cf222e}
svg.graph .edge text{font-size:10px;fill:var(--muted)}
svg.graph marker path{fill:#8c959f}
svg.graph .group rect{fill:#f6f8fa;stroke:#d0d7de;stroke-dasharray:3 3}
svg.graph .group text{text-anchor:start;font-size:11px;fill:var(--muted)}
svg.graph .state rect{fill:#fff;stroke:#8c959f;stroke-width:1.5}
svg.graph .st-start rect{fill:#24292f}svg.graph .st-start text{fill:#fff}
svg.graph .st-succeeded rect{fill:#dafbe1;stroke:var(--ok)}
svg.graph .st-running rect{fill:#ddf4ff;stroke:var(--run);stroke-width:2.5}
svg.graph .st-waiting rect{fill:#fff8c5;stroke:var(--wait);stroke-width:2.5}
svg.graph .st-retrying rect{fill:#fff1e5;stroke:#bc4c00;stroke-width:2.5}
svg.graph .st-failed rect{fill:#ffebe9;stroke:var(--bad);stroke-width:2}
svg.graph .st-caught rect{fill:#fbefff;stroke:#8250df}
.legend span{margin-right:.8rem;font-size:.85rem}
.lg-not-run{border-color:#8c959f}.lg-running{border-color:var(--run);background:#ddf4ff}.lg-waiting{border-color:var(--wait);background:#fff8c5}
.lg-retrying{border-color:#bc4c00;background:#fff1e5}.lg-succeeded{border-color:var(--ok);background:#dafbe1}
.lg-caught{border-color:#8250df;background:#fbefff}.lg-failed{border-color:var(--bad);background:#ffebe9}
.legend i{display:inline-block;width:.8rem;height:.8rem;border:1.5px solid;margin-right:.25rem;vertical-align:middle}
.cols{display:grid;grid-template-columns:minmax(0,3fr) minmax(0,2fr);gap:1rem}
@media (max-width:70rem){.cols{grid-template-columns:1fr}}
iframe.mail{width:100%;height:24rem;border:1px solid var(--line);border-radius:6px;background:#fff}
`;

export const CONSOLE_JS = `'use strict';
(function () {
  function swap(doc) {
    document.querySelectorAll('[data-live]').forEach(function (el) {
      if (!el.id) return;
      var next = doc.getElementById(el.id);
      if (!next) return;
      if (el.contains(document.activeElement) && document.activeElement !== document.body) return;
      if (el.innerHTML !== next.innerHTML) el.innerHTML = next.innerHTML;
    });
    document.body.dataset.live = doc.body.dataset.live || '0';
    document.body.dataset.status = doc.body.dataset.status || '';
  }
  function tick() {
    if (document.body.dataset.live !== '1') return;
    fetch(location.href, { credentials: 'same-origin', headers: { accept: 'text/html' } })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) { swap(new DOMParser().parseFromString(html, 'text/html')); })
      .catch(function () {})
      .then(function () { setTimeout(tick, 1000); });
  }
  setTimeout(tick, 1000);
})();
`;
