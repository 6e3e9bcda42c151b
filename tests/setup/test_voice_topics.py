import pytest

from pacesetter.core.errors import ValidationFailed
from pacesetter.setup.files import apply_document, read_document
from pacesetter.voices.models import Topic

FILE = """
voice_topics:
  - code: housing
    name: Housing
    organiser: KP
    deadline_days: 7
    public: true
  - code: roads
    name: Roads
    organiser: P1
    route: ancestor
    route_kind: county
"""


def test_voice_topics_are_applied_once_and_changed_when_the_file_changes(units):
    changes = apply_document(read_document(FILE))
    assert changes == ["voice topic housing: created", "voice topic roads: created"]
    roads = Topic.objects.get(code="roads")
    assert (roads.route, roads.route_kind.code, roads.deadline_days) == ("ancestor", "county", 14)
    assert apply_document(read_document(FILE)) == []
    changed = FILE.replace("deadline_days: 7", "deadline_days: 10")
    assert apply_document(read_document(changed)) == ["voice topic housing: changed"]
    assert Topic.objects.get(code="housing").deadline_days == 10


def test_a_refused_topic_names_its_place_and_changes_nothing(units):
    broken = FILE.replace("route_kind: county", "route_kind: planet")
    with pytest.raises(ValidationFailed) as refused:
        apply_document(read_document(broken))
    assert "voice_topics[2]" in str(refused.value.errors) and not Topic.objects.exists()
