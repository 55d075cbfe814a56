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

from builders import PASSWORD, complete, decide
from review.errors import ActionError, InvalidInput, NotAllowed, NotFound, Refused
from service.runtime import Runtime
from store.models import User

ADAPTERS = ("action", "web", "api", "cli")


@dataclass(frozen=True)
class Answer:
    ok: bool
    kind: str = ""  # refused | invalid | forbidden | missing
    message: str = ""
    left: tuple[int, ...] = ()  # cluster items left as they were
    decided: tuple[int, ...] = ()  # items a bulk decision decided
    value: str = ""  # what the action handed back (a reset link's path)


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
    def sign_in(self, name: str, password: str = PASSWORD) -> tuple[TestClient, int]:
        """A new browser-like client that signed in as ``name``, and the status of that sign-in (303: in)."""
        from web import create_app

        client = TestClient(create_app(self.runtime))
        page = client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        done = client.post("/login", data={"username": name, "password": password, "csrf_token": token},
                           follow_redirects=False)
        return client, done.status_code

    def client(self, name: str) -> TestClient:
        if name not in self._clients:
            client, status = self.sign_in(name)
            assert status == 303, status
            home = client.get("/")
            client.headers["X-CSRF-Token"] = re.search(r'<meta name="csrf-token" content="([^"]*)"', home.text)[1]
            self._clients[name] = client
        return self._clients[name]

    def _cli(self, *args: str) -> Answer:
        from pipeline import app

        env = {"KIEMTIN_DATABASE_URL": self.runtime.config.settings.database_url,
               "KIEMTIN_CONFIG": os.devnull + ".absent.toml",
               "KIEMTIN_UI_LANGUAGE": self.runtime.config.settings.ui_language}
        result = CliRunner().invoke(app, list(args), env=env)
        if result.exit_code == 0:
            return Answer(True, message=result.output)
        message = " ".join(line.removeprefix("error: ").removeprefix("lỗi: ") for line in result.output.splitlines())
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

    def _action(self, call: Any) -> Answer:
        try:
            result = call()
        except ActionError as exc:
            return Answer(False, _kind(exc), str(exc))
        return Answer(True, message=str(result))

    # --- actions ---
    def decide(self, name: str, item_id: int, action: str, **choice: Any) -> Answer:
        choice = complete(action, choice)
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

    def claim(self, name: str, *, cases: bool = False) -> int | None:
        """The id of the item "Next item" (or with ``cases`` "Next case") gives ``name`` (None: nothing left)."""
        if self.adapter == "action":
            from builders import claim

            return claim(self.runtime.db, name, cases=cases)
        if self.adapter == "api":
            item = self.client(name).post("/api/cases/next" if cases else "/api/queue/next").json()["item"]
            return None if item is None else int(item["id"])
        if self.adapter == "web":
            location = self.client(name).post("/cases/next" if cases else "/queue/next",
                                              follow_redirects=False).headers["location"]
            found = re.match(r"/items/(\d+)", location)
            return int(found.group(1)) if found else None
        answer = self._cli("queue", "next", "--as", name, *(["--cases"] if cases else []))
        found = re.search(r"#(\d+) is yours", answer.message)
        return int(found.group(1)) if found else None

    def undo(self, name: str, item_id: int) -> Answer:
        """``name`` undoes their latest decision on the item (the window is the runtime's ``undo_seconds``)."""
        if self.adapter == "action":
            from builders import undo

            seconds = self.runtime.config.settings.undo_seconds
            return self._action(lambda: undo(self.runtime.db, name, item_id, seconds=seconds).summary())
        if self.adapter == "api":
            return self._http(self.client(name).post(f"/api/items/{item_id}/undo"), html=False)
        if self.adapter == "web":
            return self._http(self.client(name).post(f"/items/{item_id}/undo", follow_redirects=False), html=True)
        return self._cli("queue", "undo", str(item_id), "--as", name)

    def comment(self, name: str, item_id: int, text: str) -> Answer:
        if self.adapter == "action":
            from review.actors import person
            from review.comments import add_comment

            return self._action(lambda: add_comment(self.runtime.db, person(name), item_id, text).id)
        if self.adapter == "api":
            return self._http(self.client(name).post(f"/api/items/{item_id}/comments", json={"text": text}),
                              html=False)
        if self.adapter == "web":
            return self._http(self.client(name).post(f"/items/{item_id}/comments", data={"text": text},
                                                     follow_redirects=False), html=True)
        return self._cli("queue", "comment", str(item_id), "--text", text, "--as", name)

    def bulk(self, name: str, item_ids: list[int], action: str, **choice: Any) -> Answer:
        """``name`` confirms or dismisses these items at once; ``decided`` and ``left`` say what happened."""
        choice = complete(action, choice)
        if self.adapter == "action":
            from review.actors import person
            from review.bulk import decide_many
            from review.decisions import Choice

            try:
                outcome = decide_many(self.runtime.db, person(name), item_ids, Choice(action=action, **choice))
            except ActionError as exc:
                return Answer(False, _kind(exc), str(exc))
            return Answer(True, message=outcome.summary(), decided=tuple(outcome.decided),
                          left=tuple(x.item_id for x in outcome.left))
        if self.adapter == "api":
            response = self.client(name).post("/api/queue/bulk", json={"action": action, "item_ids": item_ids,
                                                                       **choice})
            answer = self._http(response, html=False)
            if not answer.ok:
                return answer
            body = response.json()
            return Answer(True, message=body["summary"], decided=tuple(body["decided"]),
                          left=tuple(x["item_id"] for x in body["left"]))
        if self.adapter == "web":
            form = {"action": action, "item_id": [str(i) for i in item_ids], **choice}
            response = self.client(name).post("/queue/bulk", data=form, follow_redirects=False)
            answer = self._http(response, html=True)
            if not answer.ok:
                return answer
            decided = re.search(r"Decided: (.*?)</p>", response.text, re.S)
            left = re.search(r'id="bulk-left"(.*?)</div>', response.text, re.S)
            return Answer(True, message=unescape(re.sub(r"<[^>]+>", " ", left.group(1))) if left else "",
                          decided=tuple(int(i) for i in re.findall(r"#(\d+)", decided.group(1))) if decided else (),
                          left=tuple(int(i) for i in re.findall(r'href="/items/(\d+)"', left.group(1)))
                          if left else ())
        args = ["queue", "bulk", "--action", action, "--as", name, "--yes"]
        for i in item_ids:
            args += ["--item", str(i)]
        for key, option in (("category", "--category"), ("dismiss_reason", "--reason"),
                            ("justification", "--justification"), ("reference_url", "--reference-url")):
            if choice.get(key):
                args += [option, choice[key]]
        answer = self._cli(*args)
        if not answer.ok:
            return answer
        found = re.match(r"(\d+) decided(?:, \d+ left: (.*))?", answer.message.strip())
        left = tuple(int(i) for i in re.findall(r"#(\d+):", found.group(2) or "")) if found else ()
        return Answer(True, message=answer.message, left=left)

    # --- people ---
    def _user_id(self, username: str) -> int:
        with self.runtime.db.session() as s:
            return int(s.query(User.id).filter(User.username == username).scalar())

    def manage(self, name: str, verb: str, target: str, role: str = "") -> Answer:
        """``name`` (an admin) does ``verb`` (deactivate, reactivate, role, reset) to ``target``; a reset's
        ``value`` is the link's path."""
        if self.adapter == "action":
            from datetime import timedelta

            from review import users
            from review.actors import person

            actor = person(name)
            calls = {"deactivate": lambda: users.deactivate_user(self.runtime.db, actor, target),
                     "reactivate": lambda: users.reactivate_user(self.runtime.db, actor, target),
                     "role": lambda: users.change_role(self.runtime.db, actor, target, role),
                     "reset": lambda: users.issue_password_reset(self.runtime.db, actor, target,
                                                                 valid_for=timedelta(hours=1))}
            answer = self._action(calls[verb])
            found = re.search(r"path='([^']+)'", answer.message)
            return Answer(answer.ok, answer.kind, answer.message, value=found.group(1) if found else "")
        user_id = self._user_id(target)
        if self.adapter == "api":
            path = {"reset": "password-reset"}.get(verb, verb)
            response = self.client(name).post(f"/api/users/{user_id}/{path}", json={"role": role} if role else None)
            answer = self._http(response, html=False)
            return Answer(True, value=response.json().get("path", "")) if answer.ok else answer
        if self.adapter == "web":
            data = {"confirm": "yes", **({"role": role} if role else {})}
            response = self.client(name).post(f"/admin/users/{user_id}/{verb}", data=data, follow_redirects=False)
            answer = self._http(response, html=True)
            found = re.search(r'id="reset-url">[^<]*?(/reset/[^<\s]+)<', response.text)
            return Answer(answer.ok, answer.kind, answer.message, value=found.group(1) if found else "")
        args = {"deactivate": ["users", "deactivate", target, "--yes"], "reactivate": ["users", "reactivate", target],
                "role": ["users", "role", target, role], "reset": ["users", "reset-password", target, "--yes"]}[verb]
        answer = self._cli(*args, "--as", name)
        found = re.search(r"(/reset/\S+)", answer.message)
        return Answer(answer.ok, answer.kind, answer.message, value=found.group(1) if found else "")

