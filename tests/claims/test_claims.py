"""Claims: made from a confirmed item or by hand, items linked, every change audited, files read and written."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from builders import as_, audit_trail, decide, flag, people
from review.actors import CONSOLE_ACTOR
from review.claimreview import parse_claims, to_claimreview, write_claims
from review.claims import ClaimInput, add_claim, export_claims, get_claim, import_claims, link_item
from review.errors import InvalidInput, NotAllowed, NotFound, Refused, WrongState
from store import Database
from store.models import ClaimLink

RUMOUR = "Uống nước muối ấm mỗi sáng chữa khỏi hoàn toàn bệnh tiểu đường"


@pytest.fixture
def team(db: Database) -> Database:
    people(db, ("ana", "analyst"), ("cam", "reviewer"), ("olga", "operator"))
    return db


def test_a_claim_from_a_confirmed_item_links_its_post_and_takes_its_category(team: Database) -> None:
    item = flag(team, "p1", text=RUMOUR + ", chia sẻ ngay!")
    decide(team, "ana", item, "confirm", category="health_misinformation")
    claim = add_claim(team, as_("ana"), ClaimInput(text=RUMOUR, review_url="https://factcheck.example.vn/a1",
                                                    summary="Bộ Y tế: không có bằng chứng"), from_item_id=item)
    assert claim.category == "health_misinformation" and claim.origin == "item" and claim.link_count == 1
    assert ("ana", "claim.create", str(claim.id)) in audit_trail(team)
    assert link_item(team, as_("cam"), claim.id, item) is False  # already linked: nothing written
    other = flag(team, "p2")
    assert link_item(team, as_("cam"), claim.id, other) is True
    assert get_claim(team, CONSOLE_ACTOR, claim.id).link_count == 2
    assert ("cam", "claim.link", str(claim.id)) in audit_trail(team)


def test_claims_are_made_from_confirmed_items_only_and_once(team: Database) -> None:
    pending = flag(team, "p1")
    with pytest.raises(WrongState, match="confirmed item"):
        add_claim(team, as_("ana"), ClaimInput(text=RUMOUR), from_item_id=pending)
    add_claim(team, as_("ana"), ClaimInput(text=RUMOUR))
    with pytest.raises(Refused, match="claim #1 already says this"):
        add_claim(team, as_("cam"), ClaimInput(text=RUMOUR.upper() + "!!"))
    with pytest.raises(NotFound):
        link_item(team, as_("ana"), 99, pending)


@pytest.mark.parametrize(("data", "message"), [
    (ClaimInput(text="  "), "claim text is required"),
    (ClaimInput(text=RUMOUR, verdict="lies"), "unknown verdict"),
    (ClaimInput(text=RUMOUR, review_url="javascript:alert(1)"), "review URL must be an http"),
    (ClaimInput(text=RUMOUR, category="bad_people"), "unknown category"),
])
def test_bad_values_are_refused_with_what_to_change(team: Database, data: ClaimInput, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        add_claim(team, as_("ana"), data)


def test_only_analysts_and_reviewers_make_claims(team: Database) -> None:
    with pytest.raises(NotAllowed, match="only an analyst or a reviewer or an admin"):
        add_claim(team, as_("olga"), ClaimInput(text=RUMOUR))
    with pytest.raises(NotAllowed, match="--as USERNAME"):
        add_claim(team, CONSOLE_ACTOR, ClaimInput(text=RUMOUR))
    with pytest.raises(NotAllowed):
        export_claims(team, as_("olga"), format="jsonl")


def test_claimreview_keeps_what_a_fact_checker_wrote(team: Database) -> None:
    claim = add_claim(team, as_("ana"), ClaimInput(
        text=RUMOUR, verdict="false", rating="Sai sự thật", review_url="https://factcheck.example.vn/a1",
        publisher="Báo Ví Dụ", summary="Không có bằng chứng khoa học"))
    obj = to_claimreview(claim)
    assert obj["@type"] == "ClaimReview" and obj["reviewRating"]["alternateName"] == "False"
    assert obj["reviewRating"]["name"] == "Sai sự thật" and obj["author"]["name"] == "Báo Ví Dụ"
    [back] = parse_claims(json.dumps(obj))
    assert back == claim.as_input()


def test_reading_a_published_claimreview_and_a_fact_check_tools_answer() -> None:
    page = {"@context": "https://schema.org", "@graph": [
        {"@type": "WebSite", "name": "x"},
        {"@type": "ClaimReview", "claimReviewed": "Vắc xin chứa chip theo dõi", "url": "https://fc.example.vn/1",
         "datePublished": "2026-05-01", "reviewRating": {"@type": "Rating", "alternateName": "Bịa đặt"},
         "itemReviewed": {"@type": "Claim", "author": {"@type": "Person", "name": "Nguyễn Văn A"},
                          "appearance": [{"@type": "CreativeWork", "url": "https://social.example/p/9"}]}}]}
    [claim] = parse_claims(json.dumps(page))
    assert claim.verdict == "false" and claim.rating == "Bịa đặt" and claim.appearances == (
        "https://social.example/p/9",)
    assert "Nguyễn" not in repr(claim)  # the claimant, a person, is not read
    api = {"claims": [{"text": "Ăn tỏi chữa khỏi covid", "claimant": "someone", "claimReview": [
        {"publisher": {"name": "FC"}, "url": "https://fc.example.vn/2", "textualRating": "Gây hiểu lầm",
         "languageCode": "vi", "reviewDate": "2026-04-01T10:00:00Z"}]}]}
    [claim] = parse_claims(json.dumps(api))
    assert claim.verdict == "misleading" and claim.publisher == "FC"


@pytest.mark.parametrize(("data", "message"), [
    ("", "is empty"),
    ('{"text": "a"}\n{oops', "line 2: not JSON"),
    ('[{"@type": "ClaimReview"}]', "without claimReviewed"),
    ('{"text": "a", "reviewed_at": "yesterday"}', "is not a date"),
    ('[1]', "expected a JSON object"),
])
def test_unreadable_files_say_where(data: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_claims(data, name="f.json")


def test_import_skips_known_claims_and_refuses_a_bad_record_whole(team: Database) -> None:
    records = [ClaimInput(text=RUMOUR), ClaimInput(text="Tin đồn khác", verdict="misleading")]
    first = import_claims(team, CONSOLE_ACTOR, records)
    again = import_claims(team, CONSOLE_ACTOR, [*records, ClaimInput(text="Mới")])
    assert len(first.added) == 2 and len(again.added) == 1 and sorted(again.already_known) == first.added
    with pytest.raises(InvalidInput, match="claim 2: unknown verdict"):
        import_claims(team, CONSOLE_ACTOR, [ClaimInput(text="x1"), ClaimInput(text="x2", verdict="??")])
    assert len(export_claims(team, CONSOLE_ACTOR, format="jsonl")) == 3
    actions = [a for _who, a, _t in audit_trail(team)]
    assert actions.count("claim.import") == 2 and actions.count("claim.export") == 1


def test_both_formats_round_trip(team: Database, tmp_path) -> None:
    item = flag(team, "p1", text=RUMOUR)
    decide(team, "ana", item, "confirm")
    add_claim(team, as_("ana"), ClaimInput(text=RUMOUR, rating="Sai", summary="tóm tắt"), from_item_id=item)
    add_claim(team, as_("ana"), ClaimInput(text="Vắc xin chứa chip", verdict="unproven",
                                           review_url="https://fc.example.vn/v"))
    claims = export_claims(team, CONSOLE_ACTOR, format="jsonl")
    with team.session() as s:
        assert s.scalars(select(ClaimLink)).one().post_id
    for fmt in ("claimreview", "jsonl"):
        assert [c for c in parse_claims(write_claims(claims, fmt))] == [c.as_input() for c in claims]
