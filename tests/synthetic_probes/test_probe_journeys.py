"""Journey files: the bundled ones are valid; mistakes are one line naming file and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from synthetic_probes import jsonpath
from synthetic_probes.engine import MissingVariable, render
from synthetic_probes.journey import JourneyError, load_journey, load_journeys
from synthetic_probes.settings import DEFAULT_JOURNEYS_DIR

VALID = """
name: {name}
steps:
  - name: list
    request:
      path: /products
    capture:
      product_id: $.items[0].id
"""


def test_bundled_journeys_load():
    journeys = load_journeys(DEFAULT_JOURNEYS_DIR)
    assert {"browse", "checkout"} <= set(journeys)
    checkout = journeys["checkout"]
    assert [s.name for s in checkout.steps] == [
        "login",
        "list-products",
        "place-order",
        "order-confirmed",
    ]
    assert checkout.steps[-1].until is not None
    assert checkout.cleanup and checkout.cleanup[0].when == "failure"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: bad\nsteps: []\n", "steps: List should have at least 1 item"),
        (
            VALID.format(name="bad").replace("path: /products", "path: products"),
            "steps.0.request.path",
        ),
        (VALID.format(name="bad").replace("$.items[0].id", "items.0"), "must start with '$'"),
        (VALID.format(name="bad") + "    retries: 3\n", "steps.0.retries: Extra inputs"),
        (VALID.format(name="other"), "name 'other' must match the file name"),
        ("name: bad\nsteps: [\n", "not valid YAML (line"),
        (VALID.format(name="bad") + "    when: failure\n", "clean-up steps only"),
    ],
)
def test_journey_mistakes_are_one_line(tmp_path: Path, text: str, message: str):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(JourneyError) as caught:
        load_journey(path)
    assert message in str(caught.value)
    assert str(path) in str(caught.value) and "\n" not in str(caught.value)


def test_json_paths_and_templates():
    document = {"items": [{"id": "p1", "tags": ["a"]}], "status": "PENDING"}
    assert jsonpath.find(document, "$.items[0].tags[0]") == "a"
    assert jsonpath.find(document, "$") == document
    with pytest.raises(jsonpath.Missing):
        jsonpath.find(document, "$.items[3].id")
    assert render({"path": "/orders/${id}", "n": [1, "${id}"]}, {"id": "o1"}) == {
        "path": "/orders/o1",
        "n": [1, "o1"],
    }
    with pytest.raises(MissingVariable, match="token"):
        render("Bearer ${token}", {})
