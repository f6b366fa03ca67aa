"""The comparable-commitments table grouped by country and its chart, from the same rows."""

from __future__ import annotations

import re

from search.compare import CommitmentRow
from webui.render import compare_chart, compare_rows


def _row(country, cid, completion, score=1.0):
    return CommitmentRow(country=country, commitment_id=cid, year=2020, title=f"Title {cid}", lead_institution=None,
                      policy_areas=("Justice",), irm_potential_impact=None, irm_completion=completion, url=None,
                      passage="",
                      score=score)


ROWS = [_row("Chile", "CL1", "Complete"), _row("Chile", "CL2", "ND"), _row("Chile", "CL3", "Complete"),
        _row("Peru", "PE1", "Limited"), _row("Kenya", "KE1", None)]


def test_the_table_names_each_country_once_per_group_with_its_count():
    cells = [r[0] for r in compare_rows(ROWS)]
    assert cells == ["Chile (3)", "↳ Chile", "↳ Chile", "Peru", "Kenya"]


def test_the_chart_has_a_bar_per_country_of_the_table_split_by_completion():
    svg = compare_chart(ROWS)
    bars = re.findall(r'<g class="jx-bar" data-country="([^"]+)" data-count="(\d+)"', svg)
    assert bars == [("Chile", "3"), ("Peru", "1"), ("Kenya", "1")]
    chile = svg.split('data-country="Chile"')[1].split("</g>")[0]
    assert re.findall(r'data-completion="([^"]*)"', chile) == ["Complete", "ND"]
    assert 'data-completion="Complete"' in chile and "#1a7f37" in chile  # Complete has its own colour
    # Codes the corpus does not define are named as given, and a missing value says so.
    legend = svg.split('class="jx-legend"')[1].split("</span></figcaption>")[0]
    assert "ND" in legend and "IRM completion not given" in legend and "Limited" in legend
    assert compare_chart([]) == ""


def test_the_chart_escapes_country_names():
    svg = compare_chart([_row('<b>"X"</b>', "X1", "<script>")])
    assert "<b>" not in svg and "<script>" not in svg and "&lt;script&gt;" in svg
