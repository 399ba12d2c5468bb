"""Tests of load_points_csv: good files of both tasks and every error message with its row number."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from datasets import DatasetError, load_points_csv  # noqa: E402


def csv_text(*rows: str, header: str = "x1,x2,label") -> str:
    """A CSV with a header and the given data rows."""
    return "\n".join([header, *rows]) + "\n"


GOOD_ROWS = ("0.5,1,0", "-1,2.5,1", "3,-4,1", "1e-1,0,0", "2,2,0")


def error(data) -> str:
    """The message load_points_csv raises for data."""
    with pytest.raises(DatasetError) as err:
        load_points_csv(data)
    return str(err.value)


# ---------------------------------------------------------------- good files


def test_classification_with_integer_labels():
    X, y, task = load_points_csv(csv_text(*GOOD_ROWS))
    assert task == "classification"
    assert X.dtype == np.float32 and X.shape == (5, 2)
    np.testing.assert_allclose(X[:, 0], [0.5, -1, 3, 0.1, 2])
    assert y.dtype == np.int64 and y.tolist() == [0, 1, 1, 0, 0]


def test_regression_with_target():
    X, y, task = load_points_csv(csv_text("1,2,0.5", "3,4,-1.25", "5,6,10", "7,8,0", header="x1,x2,target"))
    assert task == "regression"
    assert y.dtype == np.float32 and y.tolist() == [0.5, -1.25, 10, 0]
    assert X.tolist() == [[1, 2], [3, 4], [5, 6], [7, 8]]


def test_tf_style_minus_one_plus_one_labels():
    _, y, _ = load_points_csv(csv_text("0,0,-1", "1,1,+1", "2,2,1", "3,3,-1"))
    assert y.tolist() == [0, 1, 1, 0]


def test_string_labels_map_in_sorted_order():
    _, y, _ = load_points_csv(csv_text("0,0,dog", "1,1,cat", "2,2,emu", "3,3,cat"))
    assert y.tolist() == [1, 0, 2, 0]


def test_numeric_labels_sort_as_numbers():
    # "10" after "9", and "2" and "2.0" are the same class
    _, y, _ = load_points_csv(csv_text("0,0,10", "1,1,9", "2,2,2", "3,3,2.0"))
    assert y.tolist() == [2, 1, 0, 0]


def test_bytes_bom_case_spaces_extra_columns_and_column_order():
    data = "\ufeffid, Label ,X2,X1\r\n1,a,2,1\r\n2,b,4,3\r\n3,a,6,5\r\n4,b,8,7\r\n".encode("utf-8")
    X, y, task = load_points_csv(data)
    assert task == "classification"
    assert X.tolist() == [[1, 2], [3, 4], [5, 6], [7, 8]] and y.tolist() == [0, 1, 0, 1]


def test_semicolons_and_latin1():
    data = "x1;x2;label\n1;2;caf\xe9\n3;4;th\xe9\n5;6;caf\xe9\n7;8;th\xe9\n".encode("latin-1")
    _, y, _ = load_points_csv(data)
    assert y.tolist() == [0, 1, 0, 1]


def test_blank_lines_are_skipped():
    _, y, _ = load_points_csv("x1,x2,label\n\n0,0,0\n1,1,1\n\n2,2,0\n3,3,1\n\n")
    assert y.tolist() == [0, 1, 0, 1]


def test_twenty_thousand_rows_is_fine():
    rows = [f"{i},{-i},{i % 2}" for i in range(20_000)]
    X, y, _ = load_points_csv(csv_text(*rows))
    assert len(X) == 20_000 and y.sum() == 10_000


# ---------------------------------------------------------------- errors


def test_empty_file():
    assert error(b"") == "the CSV file is empty"
    assert error("  \n\n ") == "the CSV file is empty"
    assert error(",,\n,,\n") == "the CSV file is empty"


def test_missing_columns():
    assert error("a,b\n1,2\n") == "the CSV needs columns x1, x2 and label or target; found: a, b"
    assert "found: x1, x2, y" in error(csv_text(*GOOD_ROWS, header="x1,x2,y"))


def test_missing_header_gets_a_hint():
    assert "first row must be a header" in error("1,2,0\n3,4,1\n5,6,0\n7,8,1\n")


def test_both_label_and_target():
    assert "both a label and a target" in error(csv_text("1,2,0,0", header="x1,x2,label,target"))


def test_duplicate_column():
    assert "more than one x1 column" in error(csv_text("1,2,0,3", header="x1,x2,label,X1"))


def test_too_few_rows():
    assert error(csv_text("1,2,0", "3,4,1", "5,6,0")) == "the CSV has 3 data row(s); at least 4 are needed"
    assert "0 data row(s)" in error("x1,x2,label\n")


def test_too_many_rows():
    rows = [f"{i},{i},{i % 2}" for i in range(20_001)]
    assert error(csv_text(*rows)) == ("the CSV has more than 20,000 data rows (row 20,002 is one too many); "
                                      "at most 20,000 are allowed")


def test_not_a_number_names_row_and_column():
    # the header is row 1, so the 6th data row is row 7
    rows = list(GOOD_ROWS) + ["1,abc,0"]
    assert error(csv_text(*rows)) == "row 7: x2 is 'abc', not a number"


def test_row_numbers_count_blank_lines_like_a_spreadsheet():
    assert error("x1,x2,label\n1,1,0\n\n2,2,1\n3,3,0\noops,4,1\n") == "row 6: x1 is 'oops', not a number"


@pytest.mark.parametrize("value", ["nan", "inf", "-Infinity"])
def test_nan_and_inf(value):
    rows = list(GOOD_ROWS)
    rows[1] = f"{value},2,1"
    assert error(csv_text(*rows)) == f"row 3: x1 is '{value}', not a finite number"


def test_number_too_large_for_float32():
    assert error(csv_text(*GOOD_ROWS, "1e39,0,1")) == "row 7: x1 is '1e39', too large"


def test_nan_target():
    rows = ["1,2,0.5", "3,4,NaN", "5,6,1", "7,8,0"]
    assert error(csv_text(*rows, header="x1,x2,target")) == "row 3: target is 'NaN', not a finite number"


def test_missing_and_empty_cells():
    rows = list(GOOD_ROWS)
    rows[0] = "1,2"
    rows[2] = "1,,1"
    rows[3] = "1,2,"
    message = error(csv_text(*rows))
    assert message.splitlines() == [
        "3 rows have bad values:",
        "row 2: label is missing",
        "row 4: x2 is empty",
        "row 5: label is empty",
    ]


def test_several_problems_in_one_row():
    rows = list(GOOD_ROWS) + ["a,b,1"]
    assert error(csv_text(*rows)) == "row 7: x1 is 'a', not a number; x2 is 'b', not a number"


def test_only_the_first_five_bad_rows_are_listed():
    rows = [f"{i},x{i},0" if i % 2 else f"{i},{i},{i % 3}" for i in range(20)]
    lines = error(csv_text(*rows)).splitlines()
    assert lines[0] == "10 rows have bad values:"
    assert lines[1:6] == [f"row {i + 2}: x2 is 'x{i}', not a number" for i in (1, 3, 5, 7, 9)]
    assert lines[6] == "... and 5 more bad row(s)"


def test_long_values_are_shortened():
    assert "'" + "z" * 17 + "...'" in error(csv_text(*GOOD_ROWS, "1," + "z" * 200 + ",0"))


def test_more_than_ten_classes():
    rows = [f"{i},{i},c{i}" for i in range(11)]
    message = error(csv_text(*rows))
    assert message.startswith("label has 11 different values ('c0', 'c1',")
    assert "at most 10 classes" in message and "'target'" in message


def test_ten_classes_is_fine():
    _, y, _ = load_points_csv(csv_text(*[f"{i},{i},{i}" for i in range(10)]))
    assert y.tolist() == list(range(10))


def test_single_class():
    assert error(csv_text("1,2,1", "3,4,1", "5,6,1.0", "7,8,1")) == (
        "label has only one value ('1'); classification needs at least 2 classes"
    )


def test_binary_file():
    assert "binary" in error(b"PK\x03\x04\x00\x00 spreadsheet")


def test_unclosed_quote_points_at_its_row():
    assert error('x1,x2,label\n1,2,0\n1,2,"0\n3,4,1\n5,6,0\n7,8,1\n') == 'row 3: a quote (") is never closed'


def test_stray_text_after_quote():
    assert error('x1,x2,label\n1,2,0\n3,"4"x,1\n') == "row 3: ',' expected after '\"'"


def test_quoted_values_are_fine():
    _, y, _ = load_points_csv('x1,x2,label\n"1","2","a,b"\n3,4,c\n5,6,"a,b"\n7,8,c\n')
    assert y.tolist() == [0, 1, 0, 1]
