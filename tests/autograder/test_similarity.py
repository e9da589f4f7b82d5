"""Similarity: renamed and reformatted copies score 1, different solutions do not pair, the
release's code never counts, and student bytes are bounded."""

import json

from autograder import similarity
from autograder.demo import EXERCISES

SOURCE = json.loads((EXERCISES / "source" / "modules" / "modules.ipynb").read_text())

MINE = '''
class MySequential(nn.Module):
    """Chains modules."""

    def __init__(self, *modules):
        super().__init__()
        for idx, module in enumerate(modules):
            self.add_module(str(idx), module)

    def forward(self, X):
        for module in self.children():
            X = module(X)
        return X
'''
COPIED = """
class MySequential(nn.Module):
    # my own work, honest
    def __init__(self, *layers):
        super().__init__()
        for i, layer in enumerate(layers):
            self.add_module(str(i),
                            layer)

    def forward(self, inp):
        for l in self.children():
            inp = l(inp)
        return inp
"""
OTHER = """
class MySequential(nn.Module):
    def __init__(self, *modules):
        super().__init__()
        self.count = 0
        for module in modules:
            setattr(self, f"layer_{self.count}", module)
            self.count = self.count + 1

    def forward(self, X):
        out = X
        for name, child in self.named_children():
            out = child.forward(out)
        return out
"""
STUB = '''
class MySequential(nn.Module):
    """Chains modules: each module's output is the next module's input."""

    def __init__(self, *modules):
        super().__init__()
        # YOUR CODE HERE
        raise NotImplementedError()

    def forward(self, X):
        # YOUR CODE HERE
        raise NotImplementedError()
'''


def _nb(seq_source):
    nb = json.loads(json.dumps(SOURCE))
    for c in nb["cells"]:
        if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "my_sequential":
            c["source"] = seq_source
        elif c.get("metadata", {}).get("nbgrader", {}).get("solution") and c["cell_type"] == "code":
            c["source"] = ""  # only part 1 is compared here
    return json.dumps(nb).encode()


def test_renamed_reformatted_copies_pair_and_different_solutions_do_not():
    prints = similarity.student_prints(
        {"ann": _nb(MINE), "bob": _nb(COPIED), "cy": _nb(OTHER)}, _nb(STUB), "modules"
    )
    pairs = similarity.similar_pairs(prints)
    assert [(p.a, p.b, p.score) for p in pairs] == [("ann", "bob", 1.0)]
    assert pairs[0].parts == {"my_sequential": 1.0}
    everything = similarity.similar_pairs(prints, threshold=0.0)
    assert all(p.score < 0.8 for p in everything if "cy" in (p.a, p.b))


def test_release_code_never_counts():
    stub_only = _nb(STUB)
    prints = similarity.student_prints({"ann": stub_only, "bob": stub_only}, stub_only, "modules")
    assert (
        prints == {"ann": {}, "bob": {}} and similarity.similar_pairs(prints, threshold=0.0) == []
    )
    given = similarity.fingerprints(STUB)
    assert given and not (similarity.fingerprints(MINE) - given) >= similarity.fingerprints(MINE)


def test_student_bytes_are_bounded():
    assert similarity.tokens("x = 1\n" * (similarity.MAX_CELL_CHARS // 6 + 1)) == []
    assert similarity.tokens("(" * 500 + ")" * 500) == []  # deeper than the parser allows
    assert similarity.tokens("def f(:\n") == []
    big = "y = [" + ", ".join("x" for _ in range(similarity.MAX_NODES)) + "]\n"
    assert len(big) < similarity.MAX_CELL_CHARS and similarity.tokens(big) == []
    assert similarity.student_prints({"eve": b"not json", "zed": b"{}"}, _nb(STUB), "modules") == {}


def test_the_cli_and_the_course_reader(tmp_path, capsys):
    for who, src in (("ann", MINE), ("bob", COPIED)):
        d = tmp_path / "submitted" / who / "modules"
        d.mkdir(parents=True)
        (d / "modules.ipynb").write_bytes(_nb(src))
    (tmp_path / "release" / "modules").mkdir(parents=True)
    (tmp_path / "release" / "modules" / "modules.ipynb").write_bytes(_nb(STUB))
    assert similarity.main([str(tmp_path), "--assignment", "modules"]) == 0
    out = capsys.readouterr().out
    assert "1.00  ann ~ bob  (my_sequential 1.00)" in out and "1 pairs" in out
