"""Order the measured findings and render them (text, JSON, HTML)."""
from __future__ import annotations

import html
import json
from typing import Any, Dict, List, Mapping, NamedTuple, Optional, Sequence

from memlint.profiling.targets import Kind, Target


class Measured(NamedTuple):
    target: Target
    bytes: Optional[int]  # what the finding costs the run at its peak; None: not attributable
    tally: int  # executions, instances, entries or warnings: the other evidence
    evidence: str  # one line for people: what was measured
    executed: bool  # False: the run never reached the flagged code

    def to_json(self) -> Dict[str, Any]:
        d = self.target.diagnostic
        return {
            "filename": d.filename, "line": d.line, "column": d.column, "code": d.code, "message": d.message,
            "fixable": d.fix is not None, "bytes": self.bytes, "count": self.tally,
            "evidence": self.evidence, "executed": self.executed,
        }


def measure(target: Target, data: Mapping[str, Any]) -> Measured:
    """What the probe's ``data`` for one finding says, as bytes and a count."""
    if target.kind is Kind.CLASS:
        instances = int(data.get("instances", 0))
        saving = int(data.get("saving_per_instance", 0))
        # A class without live instances at the peak may still have had some: "reached" is unknown, not false.
        return Measured(target, instances * saving, instances,
                        f"{instances:,} live instances at the peak; __slots__ would save {saving} bytes on each", True)
    if target.kind is Kind.CACHE:
        entries, hits = int(data.get("entries", 0)), int(data.get("hits", 0))
        size = data.get("bytes")
        return Measured(target, None if size is None else int(size), entries,
                        f"{entries:,} entries at exit ({hits:,} hits)", bool(entries or hits or data.get("misses")))
    if target.kind is Kind.CYCLE:
        freed = int(data.get("freed_by_collector", 0))
        return Measured(target, None, freed,
                        f"{_objects(freed)} of `{target.name}` found in unreachable cycles (only the cycle "
                        "collector frees them) at the probe's collections", True)
    if target.kind is Kind.CONTAINER:
        entries = int(data.get("entries", 0))
        return Measured(target, int(data.get("bytes_at_peak", 0)), entries,
                        f"{entries:,} entries at the peak", bool(data))
    executions = int(data.get("executions", 0))
    warnings = int(data.get("resource_warnings", 0))
    allocated = int(data.get("bytes_at_peak", 0))
    evidence = f"ran {_times(executions)}"
    if "bytes_at_peak" in data:
        evidence += f"; {allocated:,} bytes allocated here alive at the peak"
    if warnings:
        evidence += f"; {_objects(warnings)} allocated here never closed (ResourceWarning)"
    return Measured(target, allocated, max(executions, warnings), evidence, executions > 0)


def _times(count: int) -> str:
    return "once" if count == 1 else f"{count:,} times"


def _objects(count: int) -> str:
    return "1 object" if count == 1 else f"{count:,} objects"


def ranked(targets: Sequence[Target], findings: Mapping[str, Mapping[str, Any]]) -> List[Measured]:
    """Most measured bytes first, then the largest counts; what never ran last."""
    measured = [measure(t, findings.get(t.id, {})) for t in targets]
    return sorted(measured, key=lambda m: (not m.executed, -(m.bytes or 0), -m.tally, m.target.diagnostic.sort_key))


def _size(value: Optional[int]) -> str:
    if value is None:
        return "?"
    for unit in ("B", "KiB", "MiB"):
        if value < 1024:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value = value / 1024  # type: ignore[assignment]
    return f"{value:.1f} GiB"


def render_text(items: Sequence[Measured], run: Mapping[str, Any]) -> str:
    lines = [_headline(run), ""]
    for rank, item in enumerate(items, 1):
        d = item.target.diagnostic
        where = f"{d.filename}:{d.line}:{d.column}: {d.code}"
        weight = _size(item.bytes) if item.executed else "not executed"
        fix = " [fix]" if d.fix is not None else ""
        lines.append(f"{rank:>3}. {weight:>12}  {where}{fix} {d.message}")
        if item.executed:
            lines.append(f"{'':>18}{item.evidence}")
    return "\n".join(lines) + "\n"


def _headline(run: Mapping[str, Any]) -> str:
    text = (
        f"memlint profile: peak {run.get('peak_is', 'memory')} {_size(run.get('peak_bytes'))} (live objects counted "
        f"at {run.get('observed_at') or 0:,} {run.get('observed_in', '')}); the run took {run.get('seconds', 0):.2f} s"
    )
    if run.get("plain_seconds"):
        text += f" (without measurement {run['plain_seconds']:.2f} s: {run['seconds'] / run['plain_seconds']:.1f}x)"
    return text


def render_json(items: Sequence[Measured], run: Mapping[str, Any]) -> str:
    return json.dumps({"run": dict(run), "findings": [m.to_json() for m in items]}, indent=2) + "\n"


def render_html(items: Sequence[Measured], run: Mapping[str, Any]) -> str:
    """One self-contained page: the headline, a bar chart of the top findings, the table."""
    top = [m for m in items if m.executed][:15]
    largest = max([m.bytes or 0 for m in top] + [1])
    bars = []
    for row, item in enumerate(top):
        width = 600 * (item.bytes or 0) / largest
        d = item.target.diagnostic
        label = html.escape(f"{d.code} {d.filename}:{d.line} — {_size(item.bytes)}")
        bars.append(
            f'<rect x="0" y="{row * 22}" width="{width:.1f}" height="18" fill="#c0392b"/>'
            f'<text x="{width + 6:.1f}" y="{row * 22 + 14}" font-size="12">{label}</text>'
        )
    rows = "".join(
        f"<tr><td>{rank}</td><td>{html.escape(_size(m.bytes) if m.executed else 'not executed')}</td>"
        f"<td>{html.escape(m.target.diagnostic.filename)}:{m.target.diagnostic.line}</td>"
        f"<td>{m.target.diagnostic.code}</td><td>{html.escape(m.target.diagnostic.message)}</td>"
        f"<td>{html.escape(m.evidence)}</td></tr>"
        for rank, m in enumerate(items, 1)
    )
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>memlint profile</title>"
        "<style>body{font-family:sans-serif}td,th{padding:2px 8px;text-align:left}</style></head><body>"
        f"<h1>memlint profile</h1><p>{html.escape(_headline(run))}</p>"
        f'<svg width="1000" height="{max(len(top), 1) * 22}">{"".join(bars)}</svg>'
        "<table><tr><th>#</th><th>weight</th><th>where</th><th>code</th><th>finding</th><th>measured</th></tr>"
        f"{rows}</table></body></html>\n"
    )


RENDERERS = {"text": render_text, "json": render_json, "html": render_html}
