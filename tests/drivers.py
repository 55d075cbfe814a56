"""The same action through each adapter: called directly, through the web page's form, through the JSON API,
and through the command line. Rule tests run once per driver, so a rule that only one adapter checks fails.

Every driver answers an ``Answer``: ``ok``, and for a refusal the kind (``refused``, ``invalid``, ``forbidden``,
``missing``) and the message a person would read.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from html import unescape
from typing import Any

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from builders import PASSWORD, decide
from review.errors import ActionError, InvalidInput, NotAllowed, NotFound, Refused
from service.runtime import Runtime

ADAPTERS = ("action", "web", "api", "cli")


@dataclass(frozen=True)
class Answer:
    ok: bool
    kind: str = ""  # refused | invalid | forbidden | missing
    message: str = ""
    left: tuple[int, ...] = ()  # cluster items left as they were


_KINDS = {409: "refused", 422: "invalid", 403: "forbidden", 404: "missing"}
_CLI_KINDS = {3: "refused", 2: "invalid", 5: "forbidden", 4: "missing"}


def _kind(exc: ActionError) -> str:
    for cls, kind in ((Refused, "refused"), (InvalidInput, "invalid"), (NotAllowed, "forbidden"),
                      (NotFound, "missing")):
        if isinstance(exc, cls):
            return kind
    return "error"


class Driver:
    """Decide, appeal and claim as a named person through one adapter."""

    def __init__(self, adapter: str, runtime: Runtime) -> None:
        self.adapter, self.runtime = adapter, runtime
        self._clients: dict[str, TestClient] = {}

    # --- plumbing ---
    def client(self, name: str) -> TestClient:
        if name not in self._clients:
            from web import create_app

            client = TestClient(create_app(self.runtime))
            page = client.get("/login")
            token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
            done = client.post("/login", data={"username": name, "password": PASSWORD, "csrf_token": token},
                               follow_redirects=False)
            assert done.status_code == 303, done.text
            home = client.get("/")
            client.headers["X-CSRF-Token"] = re.search(r'<meta name="csrf-token" content="([^"]*)"', home.text)[1]
            self._clients[name] = client
        return self._clients[name]

    def _cli(self, *args: str) -> Answer:
        from pipeline import app

        env = {"KIEMTIN_DATABASE_URL": self.runtime.config.settings.database_url,
               "KIEMTIN_CONFIG": os.devnull + ".absent.toml"}
        result = CliRunner().invoke(app, list(args), env=env)
        if result.exit_code == 0:
            return Answer(True, message=result.output)
        message = " ".join(line.removeprefix("error: ") for line in result.output.splitlines())
        return Answer(False, _CLI_KINDS.get(result.exit_code, str(result.exit_code)), message)

    @staticmethod
    def _http(response: Any, *, html: bool) -> Answer:
        if response.status_code < 400:
            return Answer(True)
        if html:
            found = re.search(r'role="alert"[^>]*>(.*?)</div>', response.text, re.S) or re.search(
                r'<p class="lead">(.*?)</p>', response.text, re.S)
            message = unescape(re.sub(r"<[^>]+>", "", found.group(1))).strip() if found else response.text[:300]
        else:
            detail = response.json().get("detail")
            message = detail if isinstance(detail, str) else str(detail)
        return Answer(False, _KINDS.get(response.status_code, str(response.status_code)), message)

    # --- actions ---
    def decide(self, name: str, item_id: int, action: str, **choice: Any) -> Answer:
        if action == "confirm":
            choice.setdefault("category", "false_claim")
            choice.setdefault("justification", "Bộ Y tế đã bác bỏ thông tin này")
        if action == "dismiss":
            choice.setdefault("dismiss_reason", "accurate")
        cluster = bool(choice.get("apply_to_cluster"))
        if self.adapter == "action":
            try:
                outcome = decide(self.runtime.db, name, item_id, action, **choice)
            except ActionError as exc:
                return Answer(False, _kind(exc), str(exc))
            return Answer(True, message=outcome.summary(), left=tuple(x.item_id for x in outcome.left))
        if self.adapter == "api":
            response = self.client(name).post(f"/api/items/{item_id}/decide", json={"action": action, **choice})
            answer = self._http(response, html=False)
            if answer.ok:
                body = response.json()
                return Answer(True, message=body["summary"], left=tuple(x["item_id"] for x in body["left"]))
            return answer
        if self.adapter == "web":
            form = {"action": action, **{k: ("1" if v is True else v) for k, v in choice.items()
                                         if v not in (None, False)}}
            response = self.client(name).post(f"/items/{item_id}/decide", data=form, follow_redirects=False)
            answer = self._http(response, html=True)
            if answer.ok and response.status_code == 200:  # a cluster decision that left some items: listed
                left = re.search(r'id="cluster-outcome"(.*?)</div>', response.text, re.S)
                ids = tuple(int(i) for i in re.findall(r'href="/items/(\d+)"', left.group(1))) if left else ()
                return Answer(True, message=unescape(re.sub(r"<[^>]+>", " ", left.group(1))) if left else "",
                              left=ids)
            return answer
        args = ["queue", "decide", str(item_id), "--action", action, "--as", name, "--json"]
        for key, option in (("category", "--category"), ("dismiss_reason", "--reason"),
                            ("justification", "--justification"), ("reference_url", "--reference-url")):
            if choice.get(key):
                args += [option, choice[key]]
        if cluster:
            args.append("--cluster")
        answer = self._cli(*args)
        if answer.ok:
            import json

            body = json.loads(answer.message)
            return Answer(True, left=tuple(x["item_id"] for x in body["left"]),
                          message="; ".join(x["reason"] for x in body["left"]))
        return answer

    def appeal(self, name: str, item_id: int, reason: str = "tác giả đã đính chính") -> Answer:
        if self.adapter == "action":
            from builders import appeal

            try:
                appeal(self.runtime.db, name, item_id, reason)
            except ActionError as exc:
                return Answer(False, _kind(exc), str(exc))
            return Answer(True)
        if self.adapter == "api":
            return self._http(self.client(name).post(f"/api/items/{item_id}/appeal", json={"reason": reason}),
                              html=False)
        if self.adapter == "web":
            return self._http(self.client(name).post(f"/items/{item_id}/appeal", data={"reason": reason},
                                                     follow_redirects=False), html=True)
        return self._cli("queue", "appeal", str(item_id), "--reason", reason, "--as", name)

    def claim(self, name: str) -> int | None:
        """The id of the item "Next item" gives ``name`` (None: nothing left)."""
        if self.adapter == "action":
            from builders import claim

            return claim(self.runtime.db, name)
        if self.adapter == "api":
            item = self.client(name).post("/api/queue/next").json()["item"]
            return None if item is None else int(item["id"])
        if self.adapter == "web":
            location = self.client(name).post("/queue/next", follow_redirects=False).headers["location"]
            found = re.match(r"/items/(\d+)", location)
            return int(found.group(1)) if found else None
        answer = self._cli("queue", "next", "--as", name)
        found = re.search(r"#(\d+) is yours", answer.message)
        return int(found.group(1)) if found else None

