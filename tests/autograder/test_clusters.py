"""Answer clusters: the same failed checks with the same messages group students; a comment on a
cluster reaches each member's feedback; the comments file is bounded."""

import json

from autograder import clusters
from autograder.course import feedback_text
from autograder.dashboard.data import CATEGORY_PHRASES
from autograder.results import Category, PartResult, Status, SubmissionResult, TestResult as Check


def _result(
    student, message="The two hidden layers are separate modules.", category=Category.NOT_TIED
):
    ok = Check("param_by_name", "by name", "tied_params", 1.0, 1.0, Status.OK, "fine")
    bad = Check("tied_forward", "tied", "tied_params", 0.0, 1.0, Status.FAILED, message, category)
    part = PartResult("tied_params", 2.0, Status.OK, [ok, bad])
    return SubmissionResult(student, "custom", 2.0, {"tied_params": part})


def test_same_failures_same_cluster_and_a_stable_id():
    found = clusters.find_clusters(
        [_result("bob"), _result("ann"), _result("cy", "Another message.")]
    )
    assert [len(c.students) for c in found] == [2, 1]
    big = found[0]
    assert big.students == ["ann", "bob"] and big.representative == "ann"
    assert big.id == clusters.part_cluster(_result("zed").parts["tied_params"])
    assert (
        big.main_category == "not_tied"
        and Category.NOT_TIED in CATEGORY_PHRASES
        and big.lost == 1.0
    )


def test_right_answers_and_held_parts_are_in_no_cluster():
    r = _result("ann")
    r.parts["tied_params"].tests[1] = Check(
        "tied_forward", "tied", "tied_params", 1.0, 1.0, Status.OK, "ok"
    )
    assert clusters.part_cluster(r.parts["tied_params"]) is None
    held = _result("bob")
    held.parts["tied_params"].hold("grader_tampering", "the cell reaches for the grader")
    assert clusters.find_clusters([r, held]) == []


def test_non_attempts_come_after_misconceptions():
    stub = _result("ann", "raised NotImplementedError", Category.NOT_IMPLEMENTED)
    stubs = [stub, _result("bob", "raised NotImplementedError", Category.NOT_IMPLEMENTED)]
    found = clusters.find_clusters(stubs + [_result("cy")])
    assert [c.non_attempt for c in found] == [False, True]


def test_a_comment_reaches_every_member_and_the_file_is_bounded(tmp_path):
    cid = clusters.part_cluster(_result("ann").parts["tied_params"])
    path = clusters.comments_path(tmp_path, "custom")
    path.parent.mkdir()
    path.write_text(
        json.dumps(
            {cid: "  See the tied-parameters section, shared = nn.Linear(...) once.  ", "other": 7}
        )
    )
    comments = clusters.read_comments(tmp_path, "custom")
    assert comments == {cid: "See the tied-parameters section, shared = nn.Linear(...) once."}
    for who in ("ann", "bob"):
        r = _result(who)
        assert "Instructor's note: See the tied-parameters section" in feedback_text(
            r.parts["tied_params"], r, comments
        )
    other = _result("cy", "Another message.")
    assert "Instructor's note" not in feedback_text(other.parts["tied_params"], other, comments)
    path.write_text("{" + " " * clusters.MAX_COMMENTS_BYTES + "}")
    assert clusters.read_comments(tmp_path, "custom") == {}
    path.write_text("[not an object]")
    assert clusters.read_comments(tmp_path, "custom") == {}


def test_the_cli_lists_clusters_with_their_ids(tmp_path, capsys):
    folder = tmp_path / "results" / "custom"
    folder.mkdir(parents=True)
    for who in ("ann", "bob"):
        (folder / f"{who}.json").write_text(json.dumps(_result(who).to_json()))
    (folder / "broken.json").write_text("{ nope")
    assert clusters.main([str(tmp_path), "--assignment", "custom"]) == 0
    out = capsys.readouterr().out
    cid = clusters.part_cluster(_result("ann").parts["tied_params"])
    assert f"{cid}" in out and "2 students" in out and "1 clusters" in out


def test_feedback_before_hand_grading_says_not_graded_yet():
    from autograder.course import WRAP_CSS, mark_pending

    page = (
        "<html><head></head><body><h4>nb (Score: 5.0 / 12.0)</h4>"
        '<li><a href="#list_problems">Written response</a> (Score: 0.0 / 2.0)</li>'
        '<li><a href="#test_x">Test cell</a> (Score: 3.0 / 3.0)</li>'
        '<a name="list_problems"></a><div class="panel-heading"><span class="nbgrader-label">Student'
        '</span><span class="pull-right">\n      Score: 0.0 / 2.0 <a href="#top">(Top)</a></span></div>'
    )
    out = mark_pending(page, [("list_problems", 2.0)])
    assert "Written response</a> (not graded yet, 2 points)" in out
    assert "Not graded yet (2 points)" in out and "Score: 0.0 / 2.0" not in out
    assert (
        "Test cell</a> (Score: 3.0 / 3.0)" in out
        and "(Score: 5.0 / 12.0; 2 points not graded yet)" in out
    )
    assert out.count(WRAP_CSS) == 1 and mark_pending(out, []).count(WRAP_CSS) == 1
    graded = mark_pending(page, [])
    assert "(Score: 0.0 / 2.0)" in graded and "not graded yet" not in graded
