"""Stand-ins for the services around the gateway, and a way to run the gateway itself.

The upstreams here are small echo apps and a JWKS server with a test RSA key: they
stand in for the user, product, order and payment services (covered by their own
tests) so the gateway's own behaviour can be observed from both sides of the wire.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
import uvicorn
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from harness.platform.processes import free_ports
from tests.waiting import answers, start_on_free_port, wait_until

REPO = Path(__file__).resolve().parents[3]
KID = "test-key-1"
AUDIENCE = "commerce"
ISSUER = "commerce-user-service"
UPSTREAM_TIMEOUT_S = 1.0
MAX_BODY_BYTES = 64 * 1024
BURST_PER_SECOND = 8
BREAKER_THRESHOLD = 3
CLIENT_TIMEOUT_S = 1.0  # request headers and bodies must arrive within this


def free_port() -> int:
    """A port nothing listens on (for "the upstream is down" addresses)."""
    (port,) = free_ports(1)
    return port


class ServerThread:
    """A uvicorn server on an already bound socket, in a background thread."""

    def __init__(self, app: FastAPI) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        config = uvicorn.Config(app, log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    def __enter__(self) -> ServerThread:
        self.thread.start()
        wait_until(lambda: self.server.started, within=10, interval=0.02,
                   what=f"stand-in server on {self.url} starting")  # fmt: skip
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)
        self.sock.close()


def echo_app(name: str) -> FastAPI:
    """Answers with what it received. ``?delay_s=`` makes it slow, ``?status=`` makes it
    fail with its own problem+json body."""
    app = FastAPI()

    @app.api_route("/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    async def echo(request: Request) -> Response:
        await asyncio.sleep(float(request.query_params.get("delay_s", "0")))
        status = int(request.query_params.get("status", "200"))
        internal = {"server": "echo-upstream", "x-internal-node": "pod-7"}
        if status >= 400:
            problem = {
                "type": "https://example.test/echo",
                "title": "Echo problem",
                "status": status,
                "detail": f"{name} refused",
            }
            return JSONResponse(
                problem, status_code=status, headers=internal, media_type="application/problem+json"
            )
        body = await request.body()
        return JSONResponse(
            {
                "upstream": name,
                "method": request.method,
                "raw_path": request.scope["raw_path"].decode(),
                "query": request.scope["query_string"].decode(),
                "headers": dict(request.headers),
                "body": body.decode("utf-8", "replace"),
            },
            headers={**internal, "cache-control": "public, max-age=60", "x-upstream": name},
        )

    return app


@dataclass
class Keys:
    signing: rsa.RSAPrivateKey
    forged: rsa.RSAPrivateKey  # not published in the JWKS

    def jwks(self) -> dict[str, Any]:
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.signing.public_key()))
        return {"keys": [{**jwk, "kid": KID, "alg": "RS256", "use": "sig"}]}

    def token(
        self,
        subject: str | None = None,
        roles: tuple[str, ...] = ("customer",),
        *,
        expires_in: int = 300,
        audience: str = AUDIENCE,
        key: rsa.RSAPrivateKey | None = None,
        kid: str = KID,
    ) -> str:
        now = int(time.time())
        claims = {
            "sub": subject or f"user-{uuid.uuid4().hex[:8]}",
            "roles": list(roles),
            "aud": audience,
            "iss": ISSUER,
            "iat": now,
            "exp": now + expires_in,
        }
        return jwt.encode(claims, key or self.signing, algorithm="RS256", headers={"kid": kid})

    def unsigned_token(self) -> str:
        def part(data: dict[str, Any]) -> str:
            return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

        now = int(time.time())
        claims = {
            "sub": "mallory",
            "roles": ["admin"],
            "aud": AUDIENCE,
            "iss": ISSUER,
            "exp": now + 300,
        }
        return f"{part({'alg': 'none', 'kid': KID, 'typ': 'JWT'})}.{part(claims)}."


@dataclass
class RunningGateway:
    url: str
    log_file: Path

    def log_entries(self) -> list[dict[str, Any]]:
        lines = self.log_file.read_text().splitlines()
        return [json.loads(line) for line in lines if line.startswith("{")]


def gateway_env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    env.update(PYTHONUNBUFFERED="1", OTEL_EXPORTER_OTLP_ENDPOINT="", **overrides)
    return env


@contextlib.contextmanager
def run_gateway(log_file: Path, **settings: str) -> Iterator[RunningGateway]:
    """``python -m system_under_test.gateway`` as its own process, logging to a file."""
    with log_file.open("wb") as log:

        def spawn(port: int) -> subprocess.Popen[bytes]:
            return subprocess.Popen(
                [sys.executable, "-m", "system_under_test.gateway"],
                cwd=REPO,
                env=gateway_env(GATEWAY_PORT=str(port), **settings),
                stdout=log,
                stderr=subprocess.STDOUT,
            )

        process, port = start_on_free_port(
            spawn, lambda port: answers(f"http://127.0.0.1:{port}/readyz"), log_file,
            what="gateway", within=20,
        )  # fmt: skip
        try:
            yield RunningGateway(url=f"http://127.0.0.1:{port}", log_file=log_file)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
