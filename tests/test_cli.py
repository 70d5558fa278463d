import pytest

from skmts.__main__ import main


def test_help_lists_subcommands(capsys):
    assert main(["--help"]) == 0
    assert "benchmark" in capsys.readouterr().out


def test_unknown_subcommand_is_an_error(capsys):
    assert main(["nope"]) == 2
    assert "unknown subcommand 'nope'" in capsys.readouterr().err


def test_benchmark_subcommand_is_the_benchmark_command(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["benchmark", "--help"])
    assert exc.value.code == 0
    assert "--suite" in capsys.readouterr().out
