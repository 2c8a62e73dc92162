"""`--format html`: one self-contained page for the audit document (schema 2) or a diff.

Everything is rendered here as escaped HTML; the small inline script only filters rows that are
already on the page (it never builds markup from data). Account text is hostile input: it is
escaped, its control and bidi characters are shown as code points, and the page's Content
Security Policy allows no network and no script but its own (by hash).
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from collections.abc import Iterable, Mapping
from typing import Any

MAX_MATRIX_SUBJECTS = 300  # beyond this the matrix would not help anyone; the views remain
MAX_MATRIX_INSTANCES = 120
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e"
                       "\u2060-\u2069\ufeff]")

_STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#1d1d1f;background:#fff}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ddd;padding:3px 6px;
vertical-align:top;text-align:left}th{background:#f4f4f6}
.m td{width:18px;height:18px;padding:0;text-align:center;font-size:11px}
.m th.i{writing-mode:vertical-rl;transform:rotate(180deg);font-weight:normal;max-height:10em}
.allow{background:#2e9d4b;color:#fff}.unknown{background:#f0b429}.short{background:#f7dfc4}
.deny{background:#fff}.legend span{display:inline-block;padding:1px 8px;margin-right:6px}
.kpi{display:inline-block;margin:0 1.5em .5em 0}.kpi b{font-size:1.3em;display:block}
.gained{background:#e3f4e7}.lost{background:#fbe3e3}.maybe_gained,.maybe_lost{background:#fdf3d8}
.note{color:#666}input,select{margin:0 .5em .5em 0}
"""

_SCRIPT = """
document.querySelectorAll('[data-filter]').forEach(function (box) {
  var table = document.getElementById(box.getAttribute('data-filter'));
  var search = box.querySelector('input');
  var pick = box.querySelector('select');
  function apply() {
    var q = search.value.toLowerCase();
    var want = pick ? pick.value : '';
    table.querySelectorAll('tbody tr').forEach(function (row) {
      var text = (row.getAttribute('data-search') || '').toLowerCase();
      var status = row.getAttribute('data-status') || '';
      var show = text.indexOf(q) >= 0 && (!want || status.split(' ').indexOf(want) >= 0);
      row.style.display = show ? '' : 'none';
    });
  }
  search.addEventListener('input', apply);
  if (pick) { pick.addEventListener('change', apply); }
});
document.body.setAttribute('data-ready', '1');
"""


def _text(value: Any) -> str:
    """Account text as HTML: control and bidi characters shown as code points, then escaped."""
    shown = _CONTROLS.sub(lambda m: f"\\u{ord(m.group()):04x}", str(value))
    return html.escape(shown, quote=True)


def _page(title: str, body: Iterable[str]) -> str:
    digest = base64.b64encode(hashlib.sha256(_SCRIPT.encode()).digest()).decode()
    policy = (f"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{digest}'; "
              "base-uri 'none'; form-action 'none'")
    return "".join([
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">",
        f"<meta http-equiv=\"Content-Security-Policy\" content=\"{policy}\">",
        "<meta name=\"viewport\" content=\"width=device-width\">",
        f"<title>{_text(title)}</title><style>{_STYLE}</style></head><body>",
        *body, f"<script>{_SCRIPT}</script></body></html>\n",
    ])


def _filter(table_id: str, placeholder: str, options: Mapping[str, str] | None = None) -> str:
    out = [f"<div data-filter=\"{table_id}\"><input type=\"search\" "
           f"placeholder=\"{_text(placeholder)}\" aria-label=\"{_text(placeholder)}\">"]
    if options:
        out.append("<select aria-label=\"filter\">")
        out += [f"<option value=\"{_text(k)}\">{_text(v)}</option>" for k, v in options.items()]
        out.append("</select>")
    return "".join(out) + "</div>"


def _row(cells: Iterable[str], search: str, status: str = "", cls: str = "") -> str:
    attrs = f" data-search=\"{_text(search)}\" data-status=\"{_text(status)}\""
    if cls:
        attrs += f" class=\"{cls}\""
    return f"<tr{attrs}>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"


def _kpi(label: str, value: Any) -> str:
    return f"<span class=\"kpi\"><b>{_text(value)}</b>{_text(label)}</span>"


def _who(subject: Mapping[str, Any]) -> str:
    return str(subject.get("email") or subject.get("name") or subject.get("iam_id") or "")


def _path(through: Iterable[Mapping[str, Any]]) -> str:
    return "; ".join(f"{t.get('action')}: policy {t.get('policy_id')} ({t.get('role')}, "
                     f"{t.get('via')})" for t in through)


class _Audit:
    """Per-(subject, instance position) status and hover text, from the document's scopes."""

    def __init__(self, doc: Mapping[str, Any]) -> None:
        self.doc = doc
        self.instances: list[Mapping[str, Any]] = list(doc.get("instances") or [])
        self.scopes = {s["id"]: s for s in doc.get("scopes") or []}
        self.cells: dict[tuple[str, int], tuple[str, str]] = {}
        for s in doc.get("subjects") or []:
            sid = s["iam_id"]
            for action, scope_ids in (s.get("one_short") or {}).items():
                for scope_id in scope_ids:
                    for p in self.scopes[scope_id]["instances"]:
                        self.cells[(sid, p)] = ("short", f"one action short: lacks {action}")
            for scope_id in s.get("unknown") or []:
                for p in self.scopes[scope_id]["instances"]:
                    self.cells[(sid, p)] = ("unknown", "uncertain: run `iamcheck check` "
                                            "for why")
            for entry in s.get("can_open") or []:
                for p in self.scopes[entry["scope"]]["instances"]:
                    self.cells[(sid, p)] = ("allow", _path(entry["through"]))

    def status(self, sid: str, position: int) -> tuple[str, str]:
        return self.cells.get((sid, position), ("deny", "cannot open the console"))


def _summary(doc: Mapping[str, Any]) -> list[str]:
    summary = doc.get("summary") or {}
    pairs = summary.get("pairs") or {}
    req = doc.get("requirement") or {}
    return [
        f"<h1>iamcheck audit: {_text(req.get('title') or req.get('id') or '')}</h1>",
        f"<p class=\"note\">Account {_text(doc.get('account_id', ''))}, read "
        f"{_text(doc.get('read_at', ''))}, evaluated {_text(doc.get('evaluated_at', ''))}. "
        f"Actions required: {_text(', '.join(req.get('actions') or []))}.</p>",
        "<section id=\"summary\">",
        _kpi("subjects", summary.get("subjects", 0)),
        _kpi("instances", summary.get("instances", 0)),
        _kpi("can open something", summary.get("subjects_with_access", 0)),
        _kpi("one action short", summary.get("subjects_one_short", 0)),
        _kpi("allowed pairs", pairs.get("allow", 0)),
        _kpi("uncertain pairs", pairs.get("unknown", 0)),
        _kpi("findings", summary.get("findings", 0)),
        "</section>",
    ]


def _matrix(view: _Audit) -> list[str]:
    subjects = [s for s in view.doc.get("subjects") or []
                if s.get("can_open") or s.get("unknown") or s.get("one_short")]
    shown, cols = subjects[:MAX_MATRIX_SUBJECTS], view.instances[:MAX_MATRIX_INSTANCES]
    out = ["<h2 id=\"matrix\">Who can open which console</h2>",
           "<p class=\"legend\"><span class=\"allow\">can open</span>"
           "<span class=\"unknown\">uncertain</span><span class=\"short\">one action short"
           "</span><span class=\"deny\">cannot</span> Hover a cell for the path.</p>"]
    if len(shown) < len(subjects) or len(cols) < len(view.instances):
        out.append(f"<p class=\"note\">The matrix shows {len(shown)} of {len(subjects)} subjects "
                   f"and {len(cols)} of {len(view.instances)} instances; the views below list "
                   "all of them.</p>")
    out.append(_filter("matrix-table", "search people",
                       {"": "everyone", "allow": "can open something", "unknown": "uncertain",
                        "short": "one action short"}))
    out.append("<table class=\"m\" id=\"matrix-table\"><thead><tr><th>person</th>")
    out += [f"<th class=\"i\" title=\"{_text(i.get('id', ''))}\">{_text(i.get('name', ''))}</th>"
            for i in cols]
    out.append("</tr></thead><tbody>")
    for s in shown:
        cells, statuses = [], set()
        for p in range(len(cols)):
            status, hover = view.status(s["iam_id"], p)
            statuses.add(status)
            mark = {"allow": "&#10003;", "unknown": "?", "short": "&#183;"}.get(status, "")
            cells.append(f"<td class=\"{status}\" title=\"{_text(hover)}\">{mark}</td>")
        who = _who(s)
        out.append(f"<tr data-search=\"{_text(who + ' ' + s['iam_id'])}\" "
                   f"data-status=\"{' '.join(sorted(statuses))}\"><th>{_text(who)}</th>"
                   + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    return out


def _people(view: _Audit) -> list[str]:
    out = ["<h2 id=\"people\">People</h2>",
           _filter("people-table", "search people, groups, policies",
                   {"": "everyone", "allow": "can open something", "unknown": "uncertain",
                    "short": "one action short", "none": "no access"}),
           "<table id=\"people-table\"><thead><tr><th>person</th><th>kind</th><th>state</th>"
           "<th>instances</th><th>can open, through</th><th>uncertain</th><th>one short</th>"
           "</tr></thead><tbody>"]
    for s in view.doc.get("subjects") or []:
        opens = [f"<div>{_text(view.scopes[e['scope']].get('label', ''))}: "
                 f"{_text(_path(e['through']))}</div>" for e in s.get("can_open") or []]
        maybe = [f"<div>{_text(view.scopes[i].get('label', ''))}</div>"
                 for i in s.get("unknown") or []]
        short = [f"<div>lacks {_text(a)} on "
                 f"{_text(', '.join(view.scopes[i].get('label', '') for i in ids))}</div>"
                 for a, ids in (s.get("one_short") or {}).items()]
        status = " ".join(k for k, v in (("allow", opens), ("unknown", maybe),
                                         ("short", short)) if v) or "none"
        who = _who(s)
        search = " ".join([who, s["iam_id"], str(s.get("name") or ""),
                           *(_path(e["through"]) for e in s.get("can_open") or [])])
        out.append(_row([_text(who) + f"<div class=\"note\">{_text(s['iam_id'])}</div>",
                         _text(s.get("kind", "")), _text(s.get("state", "")),
                         _text(s.get("can_open_count", 0)), "".join(opens), "".join(maybe),
                         "".join(short)], search, status))
    out.append("</tbody></table>")
    return out


def _instances_view(view: _Audit) -> list[str]:
    by_id = {s["iam_id"]: s for s in view.doc.get("subjects") or []}
    holders: dict[int, list[str]] = {}
    maybe: dict[int, list[str]] = {}
    short: dict[int, list[str]] = {}
    for scope in view.scopes.values():
        for p in scope["instances"]:
            holders.setdefault(p, []).extend(scope.get("holders") or [])
            maybe.setdefault(p, []).extend(scope.get("maybe") or [])
            short.setdefault(p, []).extend(e["subject"] for e in scope.get("one_short") or [])
    regions = sorted({str(i.get("region") or "") for i in view.instances})
    out = ["<h2 id=\"instances\">Instances</h2>",
           _filter("instances-table", "search instances or people",
                   {"": "every region", **{r: r for r in regions}}),
           "<table id=\"instances-table\"><thead><tr><th>instance</th><th>region</th>"
           "<th>resource group</th><th>can open</th><th>uncertain</th><th>one short</th>"
           "</tr></thead><tbody>"]

    def names(ids: Iterable[str], cls: str) -> str:
        unique = dict.fromkeys(ids)
        return "".join(f"<div class=\"{cls}-holder\" data-iam-id=\"{_text(i)}\">"
                       f"{_text(_who(by_id.get(i, {'iam_id': i})))}</div>" for i in unique)

    for p, inst in enumerate(view.instances):
        ids = list(dict.fromkeys(holders.get(p, [])))
        rg = inst.get("resource_group") or {}
        search = " ".join([str(inst.get("name") or ""), str(inst.get("id") or ""),
                           *(_who(by_id.get(i, {"iam_id": i})) for i in ids)])
        row = _row([_text(inst.get("name", "")) + f"<div class=\"note\">"
                    f"{_text(inst.get('id', ''))}</div>", _text(inst.get("region", "")),
                    _text(rg.get("name") or rg.get("id") or ""), names(ids, "allow"),
                    names(maybe.get(p, []), "maybe"), names(short.get(p, []), "short")],
                   search, str(inst.get("region") or ""))
        out.append(row.replace("<tr ", f"<tr id=\"instance-{p}\" data-instance-id="
                                        f"\"{_text(inst.get('id', ''))}\" ", 1))
    out.append("</tbody></table>")
    return out


def _findings(doc: Mapping[str, Any]) -> list[str]:
    findings = doc.get("findings") or []
    gaps = doc.get("gaps") or []
    out = ["<h2 id=\"findings\">Findings</h2>"]
    if not findings:
        out.append("<p>No findings.</p>")
    else:
        out += [_filter("findings-table", "search findings"),
                "<table id=\"findings-table\"><thead><tr><th>severity</th><th>kind</th>"
                "<th>rule</th><th>policy</th><th>subject</th><th>detail</th></tr></thead><tbody>"]
        for f in findings:
            cells = [f.get(k, "") for k in ("severity", "kind", "rule", "policy_id", "subject",
                                             "detail")]
            out.append(_row([_text(c) for c in cells], " ".join(str(c) for c in cells),
                            str(f.get("severity") or "")))
        out.append("</tbody></table>")
    if gaps:
        out.append("<h2 id=\"gaps\">Not read in full (verdicts they touch are uncertain)</h2><ul>")
        out += [f"<li>{_text(g.get('what', ''))}: {_text(g.get('reason', ''))}</li>"
                for g in gaps]
        out.append("</ul>")
    return out


def render_audit(doc: dict[str, Any]) -> str:
    view = _Audit(doc)
    req = (doc.get("requirement") or {}).get("id", "")
    return _page(f"iamcheck audit {req} {doc.get('account_id', '')}",
                 [*_summary(doc), *_matrix(view), *_people(view), *_instances_view(view),
                  *_findings(doc)])


_KIND_TEXT = {"gained": "gained", "lost": "lost", "maybe_gained": "may have gained",
              "maybe_lost": "may have lost", "cleared": "no longer uncertain (cannot)"}


def render_diff(doc: dict[str, Any]) -> str:
    """The diff document (iamcheck.change.AuditDiff.as_dict())."""
    summary = doc.get("summary") or {}
    body = [f"<h1>iamcheck diff: {_text(doc.get('requirement', ''))}</h1>",
            f"<p class=\"note\">From {_text(doc.get('old_read_at', ''))} to "
            f"{_text(doc.get('new_read_at', ''))}.</p><section id=\"summary\">"]
    body += [_kpi(_KIND_TEXT[k], summary.get(k, 0)) for k in _KIND_TEXT]
    body.append("</section>")
    if doc.get("unmodelled"):
        body.append("<h2 id=\"unmodelled\">Changes iamcheck could not model (the verdicts they "
                    "touch are uncertain)</h2><ul>")
        body += [f"<li>{_text(u)}</li>" for u in doc["unmodelled"]]
        body.append("</ul>")
    body += ["<h2 id=\"transitions\">Who gained and who lost console access</h2>",
             _filter("diff-table", "search people, instances, policies",
                     {"": "every change", **_KIND_TEXT}),
             "<table id=\"diff-table\"><thead><tr><th>change</th><th>person</th>"
             "<th>instance</th><th>before</th><th>after</th><th>through</th><th>because</th>"
             "</tr></thead><tbody>"]
    order = {k: n for n, k in enumerate(_KIND_TEXT)}
    for t in sorted(doc.get("transitions") or [], key=lambda t: order.get(t.get("kind"), 9)):
        paths = "".join(f"<div>{_text(p.get('action'))}: policy {_text(p.get('policy_id'))} "
                        f"({_text(p.get('role'))}, {_text(p.get('via'))})</div>"
                        for p in t.get("paths") or [])
        causes = "".join(f"<div>{_text(c.get('kind'))}: {_text(c.get('detail'))}</div>"
                         for c in t.get("causes") or [])
        kind = str(t.get("kind") or "")
        search = " ".join([*(str(t.get(k) or "") for k in ("subject", "subject_label",
                                                           "instance_id", "instance_name")),
                           *(str(p.get("policy_id") or "") for p in t.get("paths") or [])])
        body.append(_row([_text(_KIND_TEXT.get(kind, kind)),
                          _text(t.get("subject_label", "")) + f"<div class=\"note\">"
                          f"{_text(t.get('subject', ''))}</div>",
                          _text(t.get("instance_name", "")) + f"<div class=\"note\">"
                          f"{_text(t.get('instance_id', ''))}</div>",
                          _text(t.get("before", "")), _text(t.get("after", "")), paths, causes],
                         search, kind, cls=kind if kind in _KIND_TEXT else ""))
    body.append("</tbody></table>")
    return _page(f"iamcheck diff {doc.get('requirement', '')}", body)
