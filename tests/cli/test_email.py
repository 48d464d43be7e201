"""``tbreport email``: every flag and exit status, with delivery to a real SMTP server
started on 127.0.0.1 by the test (never anywhere else), and what arrived parsed back."""

from __future__ import annotations

import email
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from tbreport.cli import main
from tbreport.report.smtp import PASSWORD_ENV
from tests.smtp_server import free_port, smtp_server
from tests.sweep import MARKUP_RUN, make_sweep

pytest.importorskip("aiosmtpd")


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_sweep(tmp_path_factory.mktemp("sweep"))


@pytest.fixture(autouse=True)
def _fixed_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    monkeypatch.delenv(PASSWORD_ENV, raising=False)


def parse(raw: bytes) -> EmailMessage:
    msg = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def structure(part: EmailMessage) -> object:
    if part.is_multipart():
        return (part.get_content_type(), [structure(p) for p in part.iter_parts()])  # type: ignore[arg-type]
    return part.get_content_type()


def one_line_error(err: str) -> str:
    lines = [line for line in err.splitlines() if line.startswith("tbreport: error:")]
    assert len(lines) == 1, err
    return lines[0]


def test_writes_the_eml_and_reports_its_size(
    sweep: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "summary.eml"
    code = main(
        ["email", str(sweep), "-o", str(out), "--to", "a@example.com", "--subject", "Nightly"]
    )
    assert code == 0
    said = capsys.readouterr()
    size = out.stat().st_size
    assert said.out == ""
    (line,) = said.err.splitlines()  # one line, as build says it
    assert line.startswith(f"tbreport: wrote {out} (")
    assert "HTML" in line and "3 charts" in line
    kb = float(line.split(f"{out} (", 1)[1].split(" KB", 1)[0])
    assert abs(kb * 1024 - size) < 0.1 * 1024
    msg = parse(out.read_bytes())
    assert structure(msg) == (
        "multipart/alternative",
        ["text/plain", ("multipart/related", ["text/html", "image/png", "image/png", "image/png"])],
    )
    assert msg["Subject"] == "Nightly"
    assert msg["To"] == "a@example.com"
    assert msg["Date"].datetime.timestamp() == 1700000000


def test_send_delivers_to_every_recipient(
    sweep: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "m.eml"
    with smtp_server() as server:
        code = main(
            [
                "email", str(sweep), "-o", str(out),
                "--to", "a@example.com, b@example.com", "--to", "c@example.com",
                "--from", "CI <ci@example.com>",
                "--send", "--smtp-host", server.host, "--smtp-port", str(server.port),
            ]
        )  # fmt: skip
    assert code == 0
    assert (
        f"tbreport: sent to a@example.com, b@example.com, c@example.com via 127.0.0.1:{server.port}"
        in capsys.readouterr().err
    )
    (envelope,) = server.inbox.messages
    assert envelope.mail_from == "ci@example.com"
    assert sorted(envelope.rcpt_tos) == ["a@example.com", "b@example.com", "c@example.com"]
    arrived = parse(envelope.original_content)
    written = parse(out.read_bytes())
    assert structure(arrived) == structure(written)
    html = arrived.get_body(("html",))
    assert html is not None and MARKUP_RUN not in html.get_content()  # escaped
    text = arrived.get_body(("plain",))
    assert text is not None and MARKUP_RUN in text.get_content()  # plain text: as is


def test_starttls_and_login_with_the_password_from_the_environment(
    sweep: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with smtp_server(tmp_path, tls=True, password="s3cret") as server:
        assert server.cert is not None
        monkeypatch.setenv("SSL_CERT_FILE", str(server.cert))  # trust the test's own certificate
        monkeypatch.setenv(PASSWORD_ENV, "s3cret")
        args = [
            "email", str(sweep), "-o", str(tmp_path / "m.eml"), "--to", "a@example.com",
            "--send", "--smtp-host", server.host, "--smtp-port", str(server.port),
            "--starttls", "--user", "ci",
        ]  # fmt: skip
        assert main(args) == 0
    assert server.inbox.logins == [("ci", "s3cret")]
    assert len(server.inbox.messages) == 1


def test_a_wrong_password_is_one_line_exit_2(
    sweep: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "m.eml"
    with smtp_server(tmp_path, tls=True, password="right") as server:
        monkeypatch.setenv("SSL_CERT_FILE", str(server.cert))
        monkeypatch.setenv(PASSWORD_ENV, "wrong")
        args = [
            "email", str(sweep), "-o", str(out), "--to", "a@example.com", "--send",
            "--smtp-host", server.host, "--smtp-port", str(server.port), "--starttls", "--user", "ci",
        ]  # fmt: skip
        assert main(args) == 2
    assert "authentication failed for ci: 535" in one_line_error(capsys.readouterr().err)
    assert server.inbox.messages == []
    assert out.is_file()  # written before sending


def test_starttls_is_required_by_the_server(
    sweep: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with smtp_server(tmp_path, tls=True) as server:
        args = [
            "email", str(sweep), "-o", str(tmp_path / "m.eml"), "--to", "a@example.com",
            "--send", "--smtp-host", server.host, "--smtp-port", str(server.port),
        ]  # fmt: skip
        assert main(args) == 2
    assert "530" in one_line_error(capsys.readouterr().err)


def test_user_without_the_password_variable_fails_before_any_work(
    sweep: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "m.eml"
    args = ["email", str(sweep), "-o", str(out), "--to", "a@example.com", "--send", "--user", "ci"]
    assert main(args) == 2
    assert PASSWORD_ENV in one_line_error(capsys.readouterr().err)
    assert not out.exists()


def test_there_is_no_password_flag(sweep: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["email", str(sweep), "--password", "x"])
    assert info.value.code == 2
    assert "unrecognized arguments: --password" in capsys.readouterr().err


def test_send_needs_a_recipient(
    sweep: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["email", str(sweep), "-o", str(tmp_path / "m.eml"), "--send"]) == 2
    assert "--send needs at least one --to" in one_line_error(capsys.readouterr().err)


def test_no_server_listening_is_one_line_exit_2(
    sweep: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [
        "email", str(sweep), "-o", str(tmp_path / "m.eml"), "--to", "a@example.com",
        "--send", "--smtp-host", "127.0.0.1", "--smtp-port", str(free_port()),
    ]  # fmt: skip
    assert main(args) == 2
    assert "cannot connect" in one_line_error(capsys.readouterr().err)


def test_attach_report_builds_and_attaches_it(
    sweep: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "m.eml"
    assert main(["email", str(sweep), "-o", str(out), "--attach-report"]) == 0
    assert "report.html" in capsys.readouterr().err
    msg = parse(out.read_bytes())
    assert msg.get_content_type() == "multipart/mixed"
    (attachment,) = list(msg.iter_attachments())
    assert attachment.get_content_type() == "text/html"
    assert attachment.get_filename() == "report.html"
    report = attachment.get_content()
    assert report.startswith("<!DOCTYPE html>") and "lr_0.1/seed_1" in report
    html = msg.get_body(("html",))
    assert html is not None and "attached as report.html" in html.get_content()


def test_attach_report_takes_an_existing_file_and_warns_above_10_mb(
    sweep: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    big = tmp_path / "big-report.html"
    big.write_bytes(b"<!DOCTYPE html>" + b"x" * (10 * 1024 * 1024 + 1))
    out = tmp_path / "m.eml"
    assert main(["email", str(sweep), "-o", str(out), "--report", str(big)]) == 0
    captured = capsys.readouterr()
    assert "above 10 MB" in captured.err
    (attachment,) = list(parse(out.read_bytes()).iter_attachments())
    assert attachment.get_filename() == "big-report.html"
    assert len(attachment.get_content()) == big.stat().st_size


def test_attach_report_missing_file(
    sweep: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(
            [
                "email",
                str(sweep),
                "-o",
                str(tmp_path / "m.eml"),
                "--report",
                str(tmp_path / "nope.html"),
            ]
        )
        == 2
    )
    assert "--report " in one_line_error(capsys.readouterr().err)


def test_a_tripped_gate_still_writes_and_sends_then_exits_3(
    sweep: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "m.eml"
    with smtp_server() as server:
        args = [
            "email", str(sweep), "-o", str(out), "--to", "a@example.com",
            "--fail-if", "last(val/loss) >= 0.3", "--fail-if", "max(val/accuracy) <= 0.5",
            "--send", "--smtp-host", server.host, "--smtp-port", str(server.port),
        ]  # fmt: skip
        assert main(args) == 3
    err = capsys.readouterr().err
    tripped = [line for line in err.splitlines() if "gate tripped" in line]
    assert tripped == [
        "tbreport: error: gate tripped: last(val/loss) >= 0.3: run '<b>x</b>&\"y\"' has last(val/loss) = 0.86 at step 40"
    ]
    (envelope,) = server.inbox.messages
    msg = parse(envelope.original_content)
    assert "1 gate FAILED" in msg["Subject"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--fail-if", "median(val/loss) >= 1"], "unknown aggregate 'median'"),
        (["--baseline", "nope"], "--baseline 'nope' is not a run"),
        (["--runs", "^nothing$"], "no run matches --runs"),
    ],
)
def test_bad_arguments_exit_2_without_writing(
    sweep: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    out = tmp_path / "m.eml"
    assert main(["email", str(sweep), "-o", str(out), *extra]) == 2
    assert message in one_line_error(capsys.readouterr().err)
    assert not out.exists()


def test_bad_group_regex_and_port_are_argparse_errors(
    sweep: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for extra in (["--group-by", "("], ["--group-by", "x*"], ["--smtp-port", "70000"]):
        with pytest.raises(SystemExit) as info:
            main(["email", str(sweep), *extra])
        assert info.value.code == 2
    assert "matches the empty string" in capsys.readouterr().err


def test_baseline_group_and_quiet(
    sweep: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "m.eml"
    args = [
        "email",
        str(sweep),
        "-o",
        str(out),
        "--group-by",
        r"seed_\d+",
        "--baseline",
        "lr_0.1/*",
        "-q",
    ]
    assert main(args) == 0
    assert capsys.readouterr().out == ""
    text = parse(out.read_bytes()).get_body(("plain",))
    assert text is not None
    content = text.get_content()
    assert "Groups (mean ± std, --group-by seed_\\d+)" in content
    assert "lr_0.1/* (baseline)" not in content  # the baseline group is a group, not a run row
    assert "delta: against lr_0.1/*" in content


def test_recipients_with_display_names(
    sweep: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with smtp_server() as server:
        args = [
            "email", str(sweep), "-o", str(tmp_path / "m.eml"), "--to", '"Doe, Jane" <jane@example.com>, x@example.com',
            "--send", "--smtp-host", server.host, "--smtp-port", str(server.port),
        ]  # fmt: skip
        assert main(args) == 0
    (envelope,) = server.inbox.messages
    assert sorted(envelope.rcpt_tos) == ["jane@example.com", "x@example.com"]
    assert "tbreport: sent to jane@example.com, x@example.com" in capsys.readouterr().err


def test_a_bad_recipient_is_exit_2(
    sweep: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "m.eml"
    assert main(["email", str(sweep), "-o", str(out), "--to", "not-an-address"]) == 2
    assert "--to: not-an-address is not an e-mail address" in one_line_error(
        capsys.readouterr().err
    )
    assert not out.exists()


def test_title_tags_and_smoothing(sweep: Path, tmp_path: Path) -> None:
    out = tmp_path / "m.eml"
    args = [
        "email",
        str(sweep),
        "-o",
        str(out),
        "--title",
        "Sweep <42>",
        "--tags",
        "^val/",
        "--smoothing",
        "0",
        "-q",
    ]
    assert main(args) == 0
    msg = parse(out.read_bytes())
    assert msg["Subject"] == "Sweep <42>: 6 runs"
    html = msg.get_body(("html",))
    assert html is not None
    content = html.get_content()
    assert "<title>Sweep &lt;42&gt;</title>" in content
    images = [p for p in msg.walk() if p.get_content_type() == "image/png"]
    assert sorted(p.get_filename() for p in images) == ["val_accuracy.png", "val_loss.png"]
    assert "train/loss" not in content


def test_smoothing_out_of_range_is_an_argparse_error(sweep: Path) -> None:
    with pytest.raises(SystemExit) as info:
        main(["email", str(sweep), "--smoothing", "1"])
    assert info.value.code == 2


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
def test_implicit_tls_and_login(
    sweep: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with smtp_server(tmp_path, implicit_tls=True, password="pw") as server:
        monkeypatch.setenv("SSL_CERT_FILE", str(server.cert))
        monkeypatch.setenv(PASSWORD_ENV, "pw")
        args = [
            "email", str(sweep), "-o", str(tmp_path / "m.eml"), "--to", "a@example.com",
            "--send", "--smtp-host", server.host, "--smtp-port", str(server.port),
            "--ssl", "--user", "ci",
        ]  # fmt: skip
        assert main(args) == 0
    assert server.inbox.logins == [("ci", "pw")]
    assert len(server.inbox.messages) == 1


def test_an_untrusted_certificate_is_refused(
    sweep: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with smtp_server(tmp_path, tls=True) as server:  # its certificate is not in SSL_CERT_FILE
        args = [
            "email", str(sweep), "-o", str(tmp_path / "m.eml"), "--to", "a@example.com",
            "--send", "--smtp-host", server.host, "--smtp-port", str(server.port), "--starttls",
        ]  # fmt: skip
        assert main(args) == 2
    assert "TLS failed" in one_line_error(capsys.readouterr().err)
    assert server.inbox.messages == []


def test_starttls_and_ssl_exclude_each_other(sweep: Path) -> None:
    with pytest.raises(SystemExit) as info:
        main(["email", str(sweep), "--starttls", "--ssl"])
    assert info.value.code == 2


@pytest.mark.parametrize("flag", ["--subject", "--from"])
def test_a_line_break_in_a_header_option_is_one_line_exit_2(
    flag: str, sweep: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "m.eml"
    assert main(["email", str(sweep), "-o", str(out), flag, "a\r\nBcc: x@y"]) == 2
    err = one_line_error(capsys.readouterr().err)
    assert f"{flag} must be one line" in err and "internal error" not in err
    assert not out.exists()
