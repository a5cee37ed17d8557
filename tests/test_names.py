import pytest

from etholake.errors import InvalidNameError
from etholake.names import validate_name


@pytest.mark.parametrize("name", ["labA", "mouse-01", "s1.2026_01_01", "7", "a" * 128])
def test_good_names_pass(name):
    assert validate_name(name, "lab") == name


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("../x", "invalid lab name '../x'"),
        ("/abs", "invalid lab name '/abs'"),
        ("", "must not be empty"),
        ("a/b", "invalid lab name 'a/b'"),
        ("a\x00b", "invalid lab name"),
        ("with space", "invalid lab name 'with space'"),
        ("a" * 300, "300 characters"),
        (".hidden", "starting with a letter or digit"),
        ("a..b", "'..'"),
        (None, "must be a string"),
    ],
)
def test_bad_names_are_refused_with_a_clear_message(name, message):
    with pytest.raises(InvalidNameError, match=message.replace(".", r"\.").replace("(", r"\(")):
        validate_name(name, "lab")
