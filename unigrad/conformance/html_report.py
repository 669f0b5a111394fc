"""The conformance matrix as one self-contained HTML page (no network): rows are the cases
grouped by op group, columns are device x dtype, each cell passed / failed / declared skip with
the error ratio on hover and the details on click. Groups are collapsed unless they hold a
failure; "only failures" (or opening the page as ``report.html#failures``) hides the rest.

Built from the JSON certificate (``report.json_report``), so a page can be remade from a saved
certificate: ``python -m unigrad.conformance.html_report report.json report.html``."""
from __future__ import annotations

import html
import json
import sys
from collections import OrderedDict

from . import formatting as fmt

DTYPE_ORDER = ("float32", "float64", "float16", "bfloat16", "int64", "int32", "uint8", "bool")
FAILED = ("failed", "error")
_MARK = {"passed": ("ok", "&#10003;"), "failed": ("bad", "&#10007;"), "error": ("bad", "&#10007;"),
         "skipped": ("skip", "&ndash;")}

_STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.4em;margin:0 0 .3em}
.meta{color:#555;font-size:13px;margin:.2em 0}
code{font-size:12px;background:#f4f4f4;padding:1px 4px}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:1em 0}
.card{border:1px solid #ccc;border-radius:6px;padding:10px 14px;min-width:300px;max-width:560px}
.card h2{font-size:1.1em;margin:0 0 6px}
.badge{display:inline-block;padding:3px 10px;border-radius:4px;color:#fff;font-weight:bold;font-size:13px}
.badge.ok{background:#1e7e34}.badge.bad{background:#c82333}
.count-bad{color:#c82333;font-weight:bold}
.failures{color:#c82333;font-size:13px;margin:4px 0 0 0;padding-left:1.2em}
.controls{position:sticky;top:0;background:#fff;padding:6px 0;border-bottom:1px solid #ddd;z-index:2}
details.group{margin:6px 0}
details.group>summary{cursor:pointer;font-weight:bold;padding:3px 0}
details.group[data-failed]:not([data-failed="0"])>summary{color:#c82333}
table{border-collapse:collapse;font-size:12px}
th,td{border:1px solid #ddd;padding:1px 5px}
th{background:#f0f0f0;position:sticky;top:38px}
td.c{text-align:center;cursor:pointer;min-width:18px}
td.ok{background:#d4edda;color:#1e7e34}
td.bad{background:#f5c6cb;color:#a00;font-weight:bold}
td.skip{background:#e2e3e5;color:#666}
td.name{white-space:nowrap}
body.failures-only tr.row-ok,body.failures-only details.group[data-failed="0"]{display:none}
#detail{position:fixed;bottom:0;left:0;right:0;background:#fffbe6;border-top:2px solid #e0c200;
padding:8px 14px;font-size:13px;white-space:pre-wrap;max-height:35vh;overflow:auto;display:none}
"""

_SCRIPT = """
(function(){
  var only=document.getElementById('only-failures'), text=document.getElementById('filter');
  function apply(){
    document.body.classList.toggle('failures-only', only.checked);
    if(only.checked){document.querySelectorAll('details.group').forEach(function(d){
      if(d.dataset.failed!=='0'){d.open=true;}});}
  }
  only.addEventListener('change', apply);
  text.addEventListener('input', function(){
    var q=text.value.toLowerCase();
    document.querySelectorAll('tr.row').forEach(function(r){r.hidden=q&&r.dataset.name.indexOf(q)<0;});
    if(q){document.querySelectorAll('details.group').forEach(function(d){d.open=true;});}
  });
  document.getElementById('expand').addEventListener('click', function(){
    document.querySelectorAll('details.group').forEach(function(d){d.open=true;});});
  document.getElementById('collapse').addEventListener('click', function(){
    document.querySelectorAll('details.group').forEach(function(d){d.open=false;});});
  var panel=document.getElementById('detail');
  document.addEventListener('click', function(e){
    var cell=e.target.closest('td.c');
    if(!cell||!cell.title){return;}
    panel.textContent=cell.title+(cell.dataset.m?'\\n'+cell.dataset.m:'')+(cell.dataset.r?'\\nreproduce: '+cell.dataset.r:'');
    panel.style.display='block';
  });
  if(location.hash==='#failures'){only.checked=true;}
  apply();
  document.body.dataset.ready='1';
})();
"""


def _dtypes(device: dict) -> list:
    seen = {c["dtype"] for c in device["cases"]}
    return [d for d in DTYPE_ORDER if d in seen] + sorted(seen - set(DTYPE_ORDER))


def _title(device: str, case: dict) -> str:
    parts = [f"{case['name']} [{case['shape_class']}] on {device}, {case['dtype']}: {case['status']}"]
    if case["status"] in ("passed", "failed", "error"):
        ratio = case.get("worst_error_over_tolerance")
        parts.append(f"error/tolerance {fmt.error(ratio) if ratio is not None else 'inf'}")
        if case.get("max_abs_error") is not None:
            parts.append(f"max abs error {fmt.error(case['max_abs_error'])}")
    if case["status"] != "passed" and case.get("message"):
        parts.append(case["message"].splitlines()[0])
    return "; ".join(parts)


def _device_card(device: dict) -> str:
    counts, backend = device["summary"], device["backend"]
    bad = counts["failed"] + counts["error"]
    ran = counts["passed"] + bad
    badge = ("ok", "certified") if device["certified"] else ("bad", "not certified")
    suspects = device["suspects"]
    lines = [f"<div class='card' id='card-{html.escape(device['device'])}'>",
             f"<h2>{html.escape(device['device'])} <span class='badge {badge[0]}'>{badge[1]}</span></h2>",
             f"<div class='meta'>{counts['passed']}/{ran} passed, "
             f"<span class='{'count-bad' if bad else ''}'>{bad} failed</span>, {counts['skipped']} declared skips, "
             f"{device['elapsed_s']:.1f} s</div>",
             f"<div class='meta'>hardware: {html.escape(backend.get('hardware') or '?')}</div>",
             f"<div class='meta'>backend: {html.escape(backend.get('class') or '?')} "
             f"({html.escape(str(backend.get('distribution')))} {html.escape(str(backend.get('version')))}, "
             f"plugin {html.escape(str(backend.get('plugin')))})</div>"]
    if suspects["confirmed"] or suspects["inferred"]:
        lines.append(f"<div class='meta'>suspects: <b>{html.escape(', '.join(suspects['confirmed']) or '-')}</b> "
                     f"confirmed; {html.escape(', '.join(suspects['inferred'][:5]) or '-')} inferred</div>")
    failing: OrderedDict = OrderedDict()
    for c in device["cases"]:
        if c["status"] in FAILED:
            failing.setdefault(c["name"], []).append(c)
    if failing:
        lines.append("<ul class='failures'>")
        for name, cases in list(failing.items())[:12]:
            first = cases[0]
            message = (first.get("message") or "").splitlines()[0][:140] if first.get("message") else ""
            dtypes = ", ".join(dict.fromkeys(c["dtype"] for c in cases))
            lines.append(f"<li><a href='#{_row_id(first)}'>{html.escape(name)}</a>: {len(cases)} failed "
                         f"({html.escape(dtypes)}) &mdash; {html.escape(message)}</li>")
        if len(failing) > 12:
            lines.append(f"<li>... and {len(failing) - 12} more failing cases</li>")
        lines.append("</ul>")
    lines.append("</div>")
    return "\n".join(lines)


def _row_id(case: dict) -> str:
    raw = f"{case['group']}-{case['name']}-{case['shape_class']}"
    return "r-" + "".join(ch if ch.isalnum() else "_" for ch in raw)


def html_report(report: dict) -> str:
    """The page for a JSON certificate (``report.json_report``)."""
    devices = report["devices"]
    columns = [(d["device"], _dtypes(d)) for d in devices]
    rows: OrderedDict = OrderedDict()  # group -> (name, shape class) -> device -> dtype -> case
    for device in devices:
        for case in device["cases"]:
            cell = rows.setdefault(case["group"], OrderedDict()).setdefault(
                (case["name"], case["shape_class"]), {})
            cell.setdefault(device["device"], {})[case["dtype"]] = case
    env = report.get("environment", {})
    parts = ["<!doctype html><html lang='en'><head><meta charset='utf-8'>",
             f"<title>unigrad conformance {html.escape(report['suite_version'])}</title>",
             f"<style>{_STYLE}</style></head><body>",
             f"<h1>unigrad conformance {html.escape(report['suite_version'])}: "
             f"{html.escape(', '.join(d['device'] for d in devices))}</h1>",
             f"<div class='meta'>{html.escape(report['created'])} &middot; unigrad {html.escape(str(env.get('unigrad_version')))}"
             f" &middot; Python {html.escape(str(env.get('python')))} &middot; NumPy {html.escape(str(env.get('numpy')))}"
             f" &middot; {html.escape(str(env.get('cpu')))} &middot; seed {report['seed']}</div>",
             f"<div class='meta'>command: <code>{html.escape(' '.join(report['command']))}</code></div>",
             "<div class='cards'>", *(_device_card(d) for d in devices), "</div>",
             "<div class='controls'><label><input type='checkbox' id='only-failures'> only failures</label> "
             "&nbsp; <input id='filter' placeholder='filter cases by name' size='28'> "
             "&nbsp; <button id='expand'>expand all</button> <button id='collapse'>collapse all</button> "
             "&nbsp; <span class='meta'>&#10003; passed &nbsp; &#10007; failed &nbsp; &ndash; declared skip; "
             "hover a cell for its error ratio, click for details</span></div>"]
    header_devices = "".join(f"<th colspan='{len(dtypes)}'>{html.escape(name)}</th>" for name, dtypes in columns)
    header_dtypes = "".join(f"<th>{html.escape(d)}</th>" for _, dtypes in columns for d in dtypes)
    for group, cases in rows.items():
        failed_here = sum(1 for by_device in cases.values() for by_dtype in by_device.values()
                          for c in by_dtype.values() if c["status"] in FAILED)
        per_device = []
        for name, _ in columns:
            results = [c for by_device in cases.values() for c in by_device.get(name, {}).values()]
            bad = sum(c["status"] in FAILED for c in results)
            ran = sum(c["status"] != "skipped" for c in results)
            skipped = len(results) - ran
            per_device.append(f"{html.escape(name)} {ran - bad}/{ran}" + (f" ({bad} failed)" if bad else "")
                              + (f" ({skipped} skipped)" if skipped and not ran else ""))
        parts.append(f"<details class='group' data-failed='{failed_here}'{' open' if failed_here else ''}>"
                     f"<summary>{html.escape(group)} &mdash; {len(cases)} cases &middot; {' &middot; '.join(per_device)}"
                     f"</summary><table><thead><tr><th rowspan='2'>case</th><th rowspan='2'>shape class</th>"
                     f"{header_devices}</tr><tr>{header_dtypes}</tr></thead><tbody>")
        for (name, shape_class), by_device in cases.items():
            statuses = [c["status"] for by_dtype in by_device.values() for c in by_dtype.values()]
            any_failed = any(s in FAILED for s in statuses)
            first = next(iter(next(iter(by_device.values())).values()))
            cells = []
            for device_name, dtypes in columns:
                for dtype in dtypes:
                    case = by_device.get(device_name, {}).get(dtype)
                    if case is None:
                        cells.append("<td></td>")
                        continue
                    css, mark = _MARK[case["status"]]
                    extra = ""
                    if case["status"] != "passed":
                        extra = (f" data-m='{html.escape(case.get('message') or '', quote=True)}'"
                                 f" data-r='{html.escape(case.get('reproducer') or '', quote=True)}'")
                    cells.append(f"<td class='c {css}' title='{html.escape(_title(device_name, case), quote=True)}'"
                                 f"{extra}>{mark}</td>")
            parts.append(f"<tr class='row {'row-bad' if any_failed else 'row-ok'}' id='{_row_id(first)}' "
                         f"data-name='{html.escape(name.lower(), quote=True)}'><td class='name'>{html.escape(name)}</td>"
                         f"<td>{html.escape(shape_class)}</td>{''.join(cells)}</tr>")
        parts.append("</tbody></table></details>")
    parts.append("<div id='detail'></div>")
    parts.append(f"<script>{_SCRIPT}</script></body></html>")
    return "\n".join(parts)


def write_html(path, report: dict) -> None:
    with open(path, "w", encoding="utf-8") as out:
        out.write(html_report(report))


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2:
        print("usage: python -m unigrad.conformance.html_report REPORT.json REPORT.html", file=sys.stderr)
        return 2
    with open(argv[0]) as source:
        write_html(argv[1], json.load(source))
    return 0


if __name__ == "__main__":
    sys.exit(main())
