"""What the human formats (table, markdown) say about an audit, built once so both say the same.

Everything here summarises: instance sets become scope labels ("all 6 instances in resource group
prod"), long lists are capped ("a, b, c, +9") and sections stop after MAX_ROWS rows, so that an
account of 200 people and 2,000 instances still reads on one screen per section.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from iamcheck.formats._people import PEOPLE_CAP, People

T = TypeVar("T")

CAP = 3  # names shown before "+N"
MAX_ROWS = 50  # rows a section shows before "+N more rows"
SHORT_ID = 8


def short_id(value: str) -> str:
    return value[:SHORT_ID]


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def capped(items: Iterable[str], limit: int | None = CAP) -> str:
    """`a, b, c, +N`: at most `limit` items (None: all), then how many more."""
    shown = list(items)
    if limit is None or len(shown) <= limit:
        return ", ".join(shown)
    return ", ".join([*shown[:limit], f"+{len(shown) - limit}"])


def who(subject: dict[str, Any]) -> str:
    """The email of a person, the name of a service ID, else the iam_id."""
    text = subject.get("email") or subject.get("name") or subject.get("iam_id", "")
    return f"{text} (service ID)" if subject.get("kind") == "service_id" else str(text)


def state(subject: dict[str, Any]) -> str:
    if subject.get("kind") == "service_id":
        return "service ID"
    return str(subject.get("state") or "-")


def roles_for(action: str, requirement: dict[str, Any]) -> str:
    """`action (needs Role or Role)`: the action, and the roles that would supply it if known."""
    roles = (requirement.get("roles_by_action") or {}).get(action)
    if isinstance(roles, list):
        roles = ", ".join(roles[:-1]) + " or " + roles[-1] if len(roles) > 1 else "".join(roles)
    return f"{action} (needs {roles})" if roles else action


class Index:
    """Look-ups over an audit document: subjects, instances and scopes by id, resource groups."""

    def __init__(self, doc: dict[str, Any], wide: bool = False) -> None:
        # under a narrowed selection (--instance, --user...) or --wide, lists are not cut to +N
        self.narrowed = bool((doc.get("selection") or {}).get("narrowed"))
        self.wide = wide
        self.cap: int | None = None if wide or self.narrowed else CAP
        self.max_rows: int | None = None if wide else MAX_ROWS
        self.people_cap: int | None = None if wide or self.narrowed else PEOPLE_CAP
        self.subjects = {s["iam_id"]: s for s in doc.get("subjects", [])}
        self.listed = doc.get("instances", [])  # scopes name instances by place in this list
        self.instances = {i["id"]: i for i in self.listed}
        self.scopes = {s["id"]: s for s in doc.get("scopes", [])}
        self._ids: dict[str, list[str]] = {}
        self.groups: dict[str, list[str]] = defaultdict(list)  # group name -> instance ids
        self.group_names: dict[str, str] = {}  # group id -> name
        for inst in self.instances.values():
            rg = inst.get("resource_group") or {}
            self.group_names[rg.get("id", "")] = rg.get("name") or rg.get("id", "")
            self.groups[self.group_of(inst["id"])].append(inst["id"])

    def who(self, iam_id: str) -> str:
        subject = self.subjects.get(iam_id)
        return who(subject) if subject else iam_id

    def name(self, instance_id: str) -> str:
        inst = self.instances.get(instance_id)
        return str(inst.get("name") or instance_id) if inst else instance_id

    def ids(self, scope: dict[str, Any]) -> list[str]:
        """The ids of the instances of one scope."""
        key = scope.get("id")
        if key is None or key not in self._ids:
            ids = [self.listed[k]["id"] for k in scope.get("instances", [])]
            if key is None:
                return ids
            self._ids[key] = ids
        return self._ids[key]

    def members(self, scope_ids: Iterable[str]) -> list[str]:
        """The ids of the instances of these scopes, each once."""
        found: dict[str, None] = {}
        for scope_id in scope_ids:
            found.update(dict.fromkeys(self.ids(self.scopes[scope_id])))
        return list(found)

    def group_of(self, instance_id: str) -> str:
        rg = (self.instances.get(instance_id) or {}).get("resource_group") or {}
        return str(rg.get("name") or rg.get("id") or "?")

    def instance_set(self, ids: Sequence[str]) -> str:
        """A set of instances in words: all of them, all of a resource group, or a few names."""
        ids = list(dict.fromkeys(ids))
        n = len(ids)
        if n == 0:
            return "no instances"
        if n == 1:
            return self.name(ids[0])
        if n == len(self.instances):
            if self.narrowed:  # all of the selection, not of the account
                return (", ".join(map(self.name, ids)) if n <= CAP or self.wide
                        else f"all {n} selected instances")
            return f"all {n} instances"
        by_group: dict[str, list[str]] = defaultdict(list)
        for instance_id in ids:
            by_group[self.group_of(instance_id)].append(instance_id)
        if len(by_group) == 1:
            group, members = next(iter(by_group.items()))
            if len(members) == len(self.groups.get(group, ())):
                return f"all {n} instances in resource group {group}"
            return (f"{n} instances in resource group {group}: "
                    f"{capped(map(self.name, members), self.cap)}")
        if n <= CAP or self.cap is None:
            return ", ".join(map(self.name, ids))
        parts = [f"{'all ' if len(m) == len(self.groups.get(g, ())) > 1 else ''}{len(m)} in {g}"
                 for g, m in by_group.items()]
        return f"{n} instances in {len(by_group)} resource groups: {capped(parts, self.cap)}"

    def scope(self, scope: dict[str, Any]) -> str:
        """What one scope entry of a subject covers."""
        ids = self.ids(scope)
        kind = scope.get("kind")
        if kind == "all":
            if self.narrowed:  # everything selected: say which, not "all instances"
                return self.instance_set(ids)
            return f"all instances ({len(ids)})"
        if kind == "resource_group":
            name = self.group_names.get(scope.get("value", ""), scope.get("value", ""))
            return f"all instances in resource group {name} ({len(ids)})"
        if kind == "instances" or not scope.get("label"):
            return f"{plural(len(ids), 'instance')}: {capped(map(self.name, ids), self.cap)}"
        return f"{scope['label']} ({len(ids)})"


def through(entries: Sequence[dict[str, Any]]) -> str:
    """`7b3e0006 direct; 7b3e0007, 7b3e0008 via payments-console`: short policy ids by path."""
    by_via: dict[str, list[str]] = {}
    for entry in entries:
        group = entry.get("group_name") or entry.get("group_id")
        via = f"via {group}" if group else "direct"
        ids = by_via.setdefault(via, [])
        if short_id(entry["policy_id"]) not in ids:
            ids.append(short_id(entry["policy_id"]))
    return "; ".join(f"{', '.join(ids)} {via}" for via, ids in by_via.items())


@dataclass
class Section:
    title: str
    headers: list[str]
    rows: list[list[str]] = field(default_factory=list)  # a cell may hold several lines
    wrap: frozenset[int] = frozenset()  # columns of free text the table may wrap
    notes: list[str] = field(default_factory=list)
    empty: str = "none"

    def capped(self, unit: str, total: int | None = None, limit: int | None = MAX_ROWS
               ) -> Section:
        """At most `limit` rows (None: all); `total` when the caller built only those shown."""
        total = len(self.rows) if total is None else total
        if limit is not None and total > limit:
            self.notes.insert(0, f"+{total - limit} more {unit}s "
                                 "(--format csv or json lists every one)")
            self.rows = self.rows[:limit]
        return self


def header(doc: dict[str, Any]) -> list[tuple[str, str]]:
    req = doc.get("requirement") or {}
    return [("account", str(doc.get("account_id", ""))),
            ("requirement", str(req.get("id", ""))),
            ("evaluated at", str(doc.get("evaluated_at", ""))),
            ("data read at", str(doc.get("read_at", "")))]


def summary(doc: dict[str, Any]) -> list[str]:
    s = doc.get("summary") or {}
    pairs = s.get("pairs") or {}
    lines = [f"{plural(s.get('subjects', 0), 'subject')} x "
             f"{plural(s.get('instances', 0), 'instance')}",
             f"{s.get('subjects_with_access', 0)} can open at least one console "
             f"({plural(pairs.get('allow', 0), 'pair')} allowed)",
             f"{plural(pairs.get('unknown', 0), 'pair')} uncertain",
             f"{s.get('subjects_one_short', 0)} one role short of access",
             plural(s.get("findings", 0), "finding")]
    if doc.get("gaps"):
        lines.append(f"{plural(len(doc['gaps']), 'gap')} in the data read: verdicts may be unknown")
    return lines


def _grouped(keyed: Iterable[tuple[Hashable, T, str]]) -> list[tuple[T, list[str]]]:
    """Values under equal keys together, each group shown by the first payload of its key."""
    out: dict[Hashable, tuple[T, list[str]]] = {}
    for key, payload, value in keyed:
        out.setdefault(key, (payload, []))[1].append(value)
    return list(out.values())


def who_can_open(doc: dict[str, Any], idx: Index) -> Section:
    section = Section("Who can open the console", ["WHO", "STATE", "WHAT", "THROUGH"],
                      empty="nobody")
    for subject in doc.get("subjects", []):
        scopes = subject.get("can_open") or []
        if scopes:
            section.rows.append([who(subject), state(subject),
                                 "\n".join(idx.scope(idx.scopes[s["scope"]]) for s in scopes),
                                 "\n".join(through(s.get("through", [])) for s in scopes)])
    section.title += f" ({plural(len(section.rows), 'subject')})"
    return section


def by_instance(doc: dict[str, Any], idx: Index) -> Section:
    """Instances with the same holders (and uncertain holders) share a row."""
    section = Section("By instance", ["INSTANCES", "WHO CAN OPEN THE CONSOLE"])
    people = People(doc)
    sides = {sid: (people.bits(s.get("holders", [])), people.bits(s.get("maybe", [])))
             for sid, s in idx.scopes.items() if s.get("holders") or s.get("maybe")}
    within: list[list[str]] = [[] for _ in idx.listed]  # per instance: scopes with people
    for sid in sides:
        for k in idx.scopes[sid]["instances"]:
            within[k].append(sid)
    # instances in the same scopes have the same holders: compute each combination once
    combos: dict[tuple[str, ...], tuple[int, int]] = {}
    keyed = []
    for inst, scope_ids in zip(idx.listed, within, strict=True):
        combo = tuple(scope_ids)
        if combo not in combos:
            holders = maybe = 0
            for sid in combo:
                holders |= sides[sid][0]
                maybe |= sides[sid][1]
            combos[combo] = (holders, maybe)
        keyed.append((combos[combo], combos[combo], inst["id"]))
    # P3: who may enter a dynamic-rule group is one line per rule, not one name per user
    rules = [(people.bits(e.get("undecided", [])), e) for e in doc.get("rule_exposures", [])]
    place = {inst["id"]: n for n, inst in enumerate(idx.listed)}
    rows = _grouped(keyed)
    for (holders, maybe), ids in rows[:idx.max_rows]:
        lines = [people.text(holders, "holder", idx.who, idx.people_cap) if holders else "nobody"]
        at = {place[i] for i in ids if i in place}
        for entering, exposure in rules:
            reach = set(exposure.get("gives", [])) | set(exposure.get("may_give", []))
            if maybe & entering and at & reach:
                maybe &= ~entering
                lines.append(f"may: {exposure.get('who', '')} (group "
                             f"{exposure.get('group_name', '')}, rule "
                             f"'{exposure.get('rule_name', '')}')")
        if maybe:
            lines.append(f"{maybe.bit_count()} uncertain: "
                         f"{people.names(maybe, idx.who, idx.people_cap)}")
        section.rows.append([idx.instance_set(ids), "\n".join(lines)])
    return section.capped("instance group", len(rows), idx.max_rows)


def people_text(iam_ids: Sequence[str], unit: str, idx: Index) -> str:
    """`12 holders: alice@example.com, bob@example.com, +10`; one person is just named."""
    if len(iam_ids) == 1:
        return idx.who(iam_ids[0])
    return f"{plural(len(iam_ids), unit)}: {capped(map(idx.who, iam_ids), idx.people_cap)}"


def one_short(doc: dict[str, Any], idx: Index) -> Section:
    section = Section("One role short", ["WHO", "LACKS", "ON"])
    requirement = doc.get("requirement") or {}
    groups = _grouped(((action, tuple(refs)), (action, refs), s["iam_id"])
                      for s in doc.get("subjects", [])
                      for action, refs in (s.get("one_short") or {}).items() if refs)
    for (action, refs), subjects in groups[:idx.max_rows]:  # only the rows shown are worded
        section.rows.append([people_text(subjects, "subject", idx), roles_for(action, requirement),
                             idx.instance_set(idx.members(refs))])
    return section.capped("row", len(groups), idx.max_rows)


def uncertain(doc: dict[str, Any], idx: Index) -> Section:
    section = Section("Uncertain", ["WHO", "ON"])
    groups = _grouped((tuple(s["unknown"]), s["unknown"], s["iam_id"])
                      for s in doc.get("subjects", []) if s.get("unknown"))
    for refs, subjects in groups[:idx.max_rows]:
        section.rows.append([people_text(subjects, "subject", idx),
                             idx.instance_set(idx.members(refs))])
    if section.rows:
        section.notes.append("why: `iamcheck check --user WHO --instance ID` names the uncertain "
                             "path (dynamic group rule, unknown attribute, unreadable data)")
    return section.capped("row", len(groups), idx.max_rows)


def findings(doc: dict[str, Any], limit: int | None = MAX_ROWS) -> Section:
    section = Section("Findings", ["SEVERITY", "KIND", "RULE", "POLICY", "DETAIL"],
                      wrap=frozenset({4}))
    for f in doc.get("findings", []):
        section.rows.append([f.get("severity", ""), f.get("kind", ""), f.get("rule") or "-",
                             short_id(f.get("policy_id", "")), f.get("detail", "")])
    return section.capped("finding", None, limit)


def gaps(doc: dict[str, Any], limit: int | None = MAX_ROWS) -> Section:
    section = Section("Gaps", ["WHAT", "REASON"], wrap=frozenset({1}))
    section.rows = [[g.get("what", ""), g.get("reason", "")] for g in doc.get("gaps", [])]
    return section.capped("gap", None, limit)


def expectations(doc: dict[str, Any], idx: Index) -> Section:
    exp = doc["expectations"]
    section = Section(f"Expectations: {str(exp.get('result', '')).upper()}",
                      ["VIOLATION", "WHO", "ON", "DETAIL"], wrap=frozenset({3}),
                      empty="no violations")
    section.notes.append(f"{plural(len(exp.get('expected', [])), 'expected subject')}, "
                         f"{plural(len(exp.get('violations', [])), 'violation')}")
    rank = {"missing": 0, "unexpected": 1, "unknown": 2}  # what fails first
    violations = sorted(exp.get("violations", []), key=lambda v: rank.get(v["kind"], 3))
    by_subject = _grouped(((v["kind"], v.get("detail", ""), v["subject"]),
                           (v["kind"], v.get("detail", ""), v["subject"]), v["instance_id"])
                          for v in violations)
    # then subjects with the same violation on the same instances share a row
    groups = _grouped(((kind, detail, frozenset(ids)), (kind, detail, ids), subject)
                      for (kind, detail, subject), ids in by_subject)
    for (kind, detail, ids), subjects in groups:
        section.rows.append([kind, people_text(subjects, "subject", idx), idx.instance_set(ids),
                             detail])
    return section.capped("row", None, idx.max_rows)


def audit_sections(doc: dict[str, Any], wide: bool = False) -> list[Section]:
    """The sections; `wide`: every row and every name, nothing cut to +N."""
    idx = Index(doc, wide)
    sections = [who_can_open(doc, idx), by_instance(doc, idx), one_short(doc, idx),
                uncertain(doc, idx), findings(doc, idx.max_rows)]
    from iamcheck.formats._layers import layer_sections  # it builds on Section, defined here

    sections += layer_sections(doc)
    if doc.get("gaps"):
        sections.append(gaps(doc, idx.max_rows))
    if doc.get("expectations") is not None:
        sections.append(expectations(doc, idx))
    return sections
