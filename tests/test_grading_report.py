"""The report's misconception roll-up counts a mistake once however its values differ."""

from coursekit.grading.report import message_kind, misconceptions


def _row(student, message, part="test_loglik_visible", task="Task 2", status="failed"):
    return {"student": student, "part": part, "task": task, "status": status, "message": message}


def test_same_mistake_with_different_values_is_one_misconception():
    # Visible tests print the student's value: three students, one mistake, three wordings.
    missing = "log_likelihood returned {}, expected -801.838: the -(N/2) log|Σ| term is missing."
    rows = [_row("ada", missing.format("-790.5")), _row("bob", missing.format("-12.25")),
            _row("cy", missing.format("-790.5")),
            _row("dan", "log_likelihood returned -inf, expected -801.838: take logs before multiplying."),
            _row("eve", "log_likelihood returned -inf, expected -801.838: take logs before multiplying.",
                 part="test_loglik_hidden"),
            _row("fay", "NotImplementedError: log_likelihood (Task 2) is not written yet"),
            _row("gus", missing.format("-1.5"), status="passed")]
    top = misconceptions(rows)
    assert top[0] == (3, "test_loglik_visible", "Task 2", missing.format("-790.5"))
    assert sorted(t[0] for t in top) == [1, 1, 3]  # the other mistake once per part; stub and pass left out
    assert {t[1] for t in top} == {"test_loglik_visible", "test_loglik_hidden"}


def test_message_kind_abstracts_numbers_only():
    assert message_kind("returned [10.625, 3.0, -1e-05], expected 4/3 times nan.") == \
        "returned [#, #, #], expected #/# times #."
    # numbers glued to words are names, not values
    assert message_kind("hw1 Task 5a: x2 and log2") == "hw1 Task 5a: x2 and log2"
    assert message_kind("the 2π term") != message_kind("the ½ term")
