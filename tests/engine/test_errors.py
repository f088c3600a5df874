from studio.engine.errors import first_line


def test_first_line_of_a_message():
    assert first_line(ValueError("bad header\nTraceback...")) == "bad header"
    assert first_line(RuntimeError("x" * 500), limit=10) == "x" * 10
    assert first_line(KeyError()) == "KeyError"
