"""The harness of the compat suites: a real `arca server` process, and boto3 clients pointed at it.

The binary comes from $ARCA_BIN (scripts/test builds target/release/arca); without it
the fixture builds the debug binary with cargo.
"""
import configparser
import json
import os
import pathlib
import socket
import subprocess
import time
import urllib.request

import boto3
import botocore.config
import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent


def arca_bin() -> str:
    path = os.environ.get("ARCA_BIN")
    if path:
        return path
    subprocess.run(["cargo", "build", "-q", "-p", "arca"], cwd=ROOT, check=True)
    return str(ROOT / "target" / "debug" / "arca")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ArcaServer:
    """A running `arca server --dev` in its own data directory, with `--config FILE` over
    the dev defaults when a `server_config` is given."""

    def __init__(self, data_dir: pathlib.Path, extra_args=(), env=None, server_config=None):
        self.data_dir = data_dir
        self.server_config = server_config
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.extra_args = list(extra_args)
        self.env = env
        self.process = None
        self.log_path = data_dir.parent / f"{data_dir.name}.log"

    def start(self):
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [arca_bin(), "server", "--dev", *(["--config", str(self.server_config)] if self.server_config else []),
             "--data-dir", str(self.data_dir),
             "--listen", f"127.0.0.1:{self.port}", *self.extra_args],
            stdout=log, stderr=subprocess.STDOUT, env=self.env,
        )
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"arca server exited: {self.log_path.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{self.endpoint}/health", timeout=1) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("arca server did not become healthy")

    def stop(self, sig=None):
        if self.process and self.process.poll() is None:
            if sig is None:
                self.process.terminate()
            else:
                self.process.send_signal(sig)
            self.process.wait(timeout=30)

    @property
    def credentials_file(self):
        return self.data_dir / "credentials"

    @property
    def config_file(self):
        return self.data_dir / "config"

    def root_credentials(self):
        parser = configparser.ConfigParser()
        parser.read(self.credentials_file)
        return parser["default"]["aws_access_key_id"], parser["default"]["aws_secret_access_key"]

    def session(self, access_key_id=None, secret=None, region="us-east-1"):
        if access_key_id is None:
            access_key_id, secret = self.root_credentials()
        return boto3.Session(aws_access_key_id=access_key_id, aws_secret_access_key=secret, region_name=region)

    def client(self, service, access_key_id=None, secret=None, region="us-east-1", validate=True):
        config = botocore.config.Config(parameter_validation=validate, retries={"max_attempts": 1})
        return self.session(access_key_id, secret, region).client(service, endpoint_url=self.endpoint, config=config)

    def cli_env(self, **extra):
        env = dict(os.environ)
        for name in ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                     "AWS_ENDPOINT_URL", "AWS_REGION", "AWS_DEFAULT_REGION"]:
            env.pop(name, None)
        env["AWS_CONFIG_FILE"] = str(self.config_file)
        env["AWS_SHARED_CREDENTIALS_FILE"] = str(self.credentials_file)
        env.update(extra)
        return env

    def aws(self, *args, check=True, **extra_env):
        """Runs the AWS CLI with only the server's own config and credentials files."""
        result = subprocess.run(["aws", *args, "--output", "json"], capture_output=True, text=True,
                                env=self.cli_env(**extra_env))
        if check and result.returncode != 0:
            raise AssertionError(f"aws {' '.join(args)} failed: {result.stderr}")
        return result

    def arca(self, *args, check=True, **extra_env):
        result = subprocess.run([arca_bin(), *args], capture_output=True, text=True, env=self.cli_env(**extra_env))
        if check and result.returncode != 0:
            raise AssertionError(f"arca {' '.join(args)} failed: {result.stdout}{result.stderr}")
        return result

    def create_account(self, name):
        result = self.arca("admin", "create-account", "--name", name)
        return json.loads(result.stdout)

    def advance_clock(self, seconds):
        """Moves the server clock (needs --danger-clock-offset) and runs due jobs."""
        from arca_admin import admin_call
        return admin_call(self, "AdvanceClock", {"Seconds": seconds})


def user_with_policy(server, user_name, policy, account=None):
    """Creates an IAM user with an inline policy and returns (iam user ARN, key id, secret)."""
    if account is None:
        iam = server.client("iam")
    else:
        iam = server.client("iam", account["AccessKeyId"], account["SecretAccessKey"])
    user = iam.create_user(UserName=user_name)["User"]
    if policy is not None:
        iam.put_user_policy(UserName=user_name, PolicyName="inline", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=user_name)["AccessKey"]
    return user["Arn"], key["AccessKeyId"], key["SecretAccessKey"]
