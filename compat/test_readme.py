"""The README's examples run as written.

The "Quick start with the AWS CLI" block is taken from README.md and run with bash, one
command at a time in one shell, in a temporary directory holding a copy of README.md.
Only its `cargo run ... server --dev --data-dir DIR` line is replaced: the test starts
$ARCA_BIN the same way (on a free port, whose endpoint the server writes into
DIR/config, which the block then uses). Every command must exit 0, and the block's last
command must print the plaintext the block encrypted.
"""
import os
import pathlib
import re
import shlex
import shutil
import subprocess

from arca_harness import ROOT, ArcaServer

README = ROOT / "README.md"


def shell_block(markdown: str, heading: str) -> str:
    """The first ```sh block after the `## heading` line."""
    match = re.search(rf"^## {re.escape(heading)}\n.*?^```sh\n(.*?)^```", markdown, re.M | re.S)
    assert match, f"README.md has no ```sh block under '## {heading}'"
    return match.group(1)


def commands(block: str) -> list[str]:
    """The block's commands: continuation lines joined, comment and blank lines dropped."""
    result, pending = [], ""
    for line in block.splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        pending += line + "\n"
        if not line.endswith("\\"):
            result.append(pending.rstrip("\n"))
            pending = ""
    assert not pending, f"unterminated continuation: {pending!r}"
    return result


def checked_script(steps: list[str], out_dir: pathlib.Path) -> str:
    """One bash script that runs each step in the same shell, writes its stdout to
    out_dir/N.out and stops at the first step that exits non-zero, naming it."""
    lines = ["set -o pipefail"]
    for number, step in enumerate(steps):
        lines += [
            "{ " + step,
            f"}} >{shlex.quote(str(out_dir / f'{number}.out'))}",
            "status=$?",
            f"if [ $status != 0 ]; then echo \"README command {number} exited $status:\" {shlex.quote(step)} >&2; "
            "exit 1; fi",
        ]
    return "\n".join(lines) + "\n"


def test_quick_start_runs_as_written(tmp_path):
    steps = commands(shell_block(README.read_text(), "Quick start with the AWS CLI"))
    start = [step for step in steps if step.startswith("cargo run")]
    assert len(start) == 1 and steps[0] == start[0], "the quick start begins with one `cargo run` line"
    words = shlex.split(start[0])
    assert words[words.index("--") + 1:words.index("--") + 3] == ["server", "--dev"], start[0]
    data_dir = words[words.index("--data-dir") + 1]
    plaintext_files = [re.search(r"--plaintext fileb://(\S+)", step) for step in steps]
    [plaintext_file] = [match.group(1) for match in plaintext_files if match]

    work = tmp_path / "readme"
    work.mkdir()
    shutil.copy(README, work / "README.md")
    server = ArcaServer(work / data_dir).start()
    try:
        out_dir = tmp_path / "out"
        out_dir.mkdir()
        script = tmp_path / "quick-start.sh"
        script.write_text(checked_script(steps[1:], out_dir))
        env = server.cli_env()
        # The block sets these itself; the CLI must not find a developer's ~/.aws either way.
        env.pop("AWS_CONFIG_FILE")
        env.pop("AWS_SHARED_CREDENTIALS_FILE")
        env["HOME"] = str(tmp_path)
        result = subprocess.run(["bash", str(script)], cwd=work, env=env, capture_output=True, text=True,
                                timeout=300)
        assert result.returncode == 0, f"{result.stderr}\nserver log:\n{server.log_path.read_text()[-3000:]}"
    finally:
        server.stop()

    decrypted = (out_dir / f"{len(steps) - 2}.out").read_bytes()
    assert decrypted == (work / plaintext_file).read_bytes()
    assert decrypted, "the example encrypts something"


def test_commands_join_continuations_and_drop_comments():
    block = "run a  # note\n# output\n\nb \\\n    c\nd\n"
    assert commands(block) == ["run a  # note", "b \\\n    c", "d"]
