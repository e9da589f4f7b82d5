"""``python -m d2lmods.demo`` trains and its loss goes down."""

import io

from d2lmods import demo


def test_demo_loss_goes_down_and_prints_progress():
    buf = io.StringIO()
    losses = demo.main(epochs=60, out=buf)
    assert len(losses) == 60 and losses[-1] < losses[0] / 2
    text = buf.getvalue()
    assert "Sequential(" in text and "epoch    1" in text and "epoch   50" in text
