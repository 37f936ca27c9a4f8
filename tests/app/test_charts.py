from app import charts
from app.metrics import METRICS, Count


def test_the_rule_under_a_chart_is_wrapped_to_lines_that_fit() -> None:
    rule = METRICS["legacy"].rule(Count.USES) + " Dashed: projection at the pace of the last 5 releases."
    for large in (False, True):
        spec = charts.trend("t", rule, ["v1", "v2"], {"n": [1, 0]}, large=large)
        lines = spec["title"]["subtitle"]
        assert all(len(line) <= charts.SUBTITLE_CHARS[large] for line in lines)
        assert " ".join(lines).replace(" ", "") == rule.replace(" ", "")  # nothing lost


def test_a_crowded_axis_labels_at_most_24_releases_and_always_the_newest() -> None:
    tags = [f"v7.{n}" for n in range(101)]
    spec = charts.trend("t", "r", tags, {"n": list(range(101))}, projection=("n", 7))
    labels = spec["encoding"]["x"]["axis"]["values"]
    assert len(labels) <= charts.AXIS_LABELS and labels[-1] == "v7.100"
    assert spec["mark"]["point"] is False
