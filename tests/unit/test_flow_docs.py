"""docs/flows.md is generated from the flow definitions and must match them."""
from __future__ import annotations

from workflows import docs
from workflows.case_flow import CASE_FLOW
from workflows.provider_flow import PROVIDER_FLOW
from workflows.validation import flow_problems


def test_docs_flows_md_is_current():
    assert docs.DOCS_PATH.read_text(encoding="utf-8") == docs.render(), (
        "docs/flows.md is stale: run `python -m workflows.docs`")


def test_every_state_and_action_is_documented_with_its_diagram():
    text = docs.render()
    for state in CASE_FLOW.states:
        assert f"| `{state.name}` | {state.label} |" in text
        assert f'state "{state.name} {state.label}" as {state.name}' in text
    for act in CASE_FLOW.actions:
        assert f"| `{act.name}` | {act.label} | {', '.join(act.sources)} |" in text
    assert "stateDiagram-v2" in text
    assert "    accepted --> dispatched: whistle" in text
    assert "    returned --> dispatched: arbitrate_redispatch, arbitrate_uphold" in text
    assert "    [*] --> submitted" in text and "    closed --> [*]" in text


def test_the_tables_show_targets_payloads_and_clocks():
    # the case flow's section alone: other flows have actions of the same name (reject)
    rows = {line.split(" | ")[0][3:-1]: line for line in docs.render((CASE_FLOW,)).splitlines()
            if line.startswith("| `") and line.count(" | ") == 9}
    assert "if level_is_community: community_handling; else: accepted" in rows["accept"]
    assert "reason*: not_our_remit / wrong_area / unclear_ownership" in rows["return_case"]
    assert "start sign_in per summons (department)" in rows["whistle"]
    assert "if on_site_requested: start arrival per summons (department)" in rows["whistle"]
    assert "reporter + grid_worker_of_grid" in rows["resolve_on_spot"]
    assert "stop_all" in rows["reject"]


def test_check_mode_reports_a_stale_file(tmp_path, monkeypatch, capsys):
    target = tmp_path / "flows.md"
    monkeypatch.setattr(docs, "DOCS_PATH", target)
    target.write_text("old\n", encoding="utf-8")
    assert docs.main(["--check"]) == 1
    assert "stale" in capsys.readouterr().err
    assert docs.main([]) == 0
    assert target.read_text(encoding="utf-8") == docs.render()
    assert docs.main(["--check"]) == 0


def test_the_provider_flow_is_documented():
    text = docs.render()
    assert PROVIDER_FLOW in docs.FLOWS
    assert "## 服务主体认证 provider onboarding (`provider`)" in text
    for state in PROVIDER_FLOW.states:
        assert f'state "{state.name} {state.label}" as {state.name}' in text
    assert "    suspended --> approved: reinstate" in text
    assert "    rejected --> [*]" in text


def test_every_flow_in_the_docs_passes_validation():
    """The flows are validated where they are defined (validated(Flow(...))); this catches
    one written without it."""
    assert {flow.name: flow_problems(flow) for flow in docs.FLOWS} == {flow.name: [] for flow in docs.FLOWS}
