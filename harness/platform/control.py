"""Client of the control API: how chaos experiments and the CLI act on components."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

ComponentStatus = dict[str, Any]


class ControlError(Exception):
    """The control API refused an action or could not be reached."""


class ControlClient:
    def __init__(self, base_url: str, token: str, timeout: float = 60.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._client = httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout,
        )

    @classmethod
    def from_run_dir(cls, run_dir: Path) -> ControlClient:
        """Read ``control.json`` written by a running platform."""
        document = json.loads((run_dir / "control.json").read_text())
        return cls(document["url"], document["token"])

    def _request(self, method: str, path: str) -> Any:
        try:
            response = self._client.request(method, path)
        except httpx.HTTPError as exc:
            raise ControlError(f"control API at {self.base_url} unreachable: {exc}") from exc
        if response.status_code >= 400:
            try:
                detail = response.json().get("detail", response.text)
            except ValueError:
                detail = response.text
            raise ControlError(f"{method} {path}: HTTP {response.status_code}: {detail}")
        return response.json()

    def component(self, name: str) -> ComponentStatus:
        for status in self.list():
            if status["name"] == name:
                return status
        raise ControlError(f"unknown component {name!r}")

    def alerts(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._request("GET", "/api/alerts")
        return result

    def _act(self, name: str, action: str) -> dict[str, Any]:
        result: dict[str, Any] = self._request("POST", f"/api/components/{name}/{action}")
        return result

    def kill(self, name: str) -> dict[str, Any]:
        """SIGKILL the component's process group; the restart policy brings it back."""
        return self._act(name, "kill")

    def stop(self, name: str) -> dict[str, Any]:
        """Stop it and keep it stopped until ``start``."""
        return self._act(name, "stop")

    def start(self, name: str) -> dict[str, Any]:
        """Start a stopped component and wait until it is ready."""
        return self._act(name, "start")

    def pause(self, name: str) -> dict[str, Any]:
        """SIGSTOP: the process hangs but keeps its port (a broker or database outage)."""
        return self._act(name, "pause")

    def resume(self, name: str) -> dict[str, Any]:
        return self._act(name, "resume")

    # Last in the class: the name shadows the builtin in the annotations below it.
    def list(self) -> list[ComponentStatus]:
        result: list[ComponentStatus] = self._request("GET", "/api/components")
        return result

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> ControlClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
