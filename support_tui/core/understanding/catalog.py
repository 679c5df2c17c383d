"""A shop's intents: what its customers ask, how each is answered, and the exemplars each is learned from."""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from pathlib import Path
from typing import Literal, Sequence

from pydantic import BaseModel, ConfigDict, Field

IntentKind = Literal["article", "flow", "decline", "unclear"]
"""How an intent is answered: quote its article, run its flow, decline it (not the shop's), or ask the customer
what they need (a message that says too little: "I have a question about my order")."""


class IntentSpec(BaseModel):
    """One intent of a shop's catalogue."""

    model_config = ConfigDict(frozen=True)

    name: str
    kind: IntentKind
    article: str | None = None
    """The knowledge-base article (file stem) that answers it, for ``article`` intents."""
    flow: str | None = None
    """The shop flow that answers it, for ``flow`` intents."""
    lookup: str | None = None
    """For an ``article`` intent, the flow that answers its question for the customer's own things or a
    product the message names (a product's compatibility list), when that is not its topic's flow."""
    specialist: str | None = None
    """The specialist who answers it; None for a declined or unclear intent."""
    topic: str
    """Intents of one topic answer one question two ways: no need to ask which is meant."""
    label: str
    """How a clarifying question names it to the customer ("the status of your refund")."""
    exemplars: tuple[str, ...] = ()


class IntentCatalog(BaseModel):
    """Every intent of a shop, and the exemplar texts (with their intent) a classifier learns from."""

    model_config = ConfigDict(frozen=True)

    intents: tuple[IntentSpec, ...]
    texts: tuple[str, ...] = Field(default=())
    labels: tuple[str, ...] = Field(default=())

    def spec(self, name: str) -> IntentSpec:
        return next(i for i in self.intents if i.name == name)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(i.name for i in self.intents)

    def digest(self, model_id: str) -> str:
        """A hash of the exemplars, their labels and the embedding model: the vector cache's key."""
        payload = json.dumps([model_id, list(self.labels), list(self.texts)], ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:20]


_TITLE = re.compile(r"^#\s+(.+?)\s*$", re.MULTILINE)
_HEADING = re.compile(r"^##\s+(.+?)\s*$", re.MULTILINE)


def article_exemplars(path: Path) -> list[str]:
    """An article's title, and each heading in the title's context ("Gift cards: balance and expiry")."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return []
    title_match = _TITLE.search(text)
    title = title_match.group(1).strip() if title_match else path.stem.replace("-", " ")
    headings = [h.strip() for h in _HEADING.findall(text) if h.strip().lower() != "answer"]
    return [title, *(f"{title}: {h[0].lower()}{h[1:]}" for h in headings)]


def load_catalog(path: Path, kb_dir: Path | None = None, extra: Path | Sequence[Path] = ()) -> IntentCatalog:
    """The catalogue in ``path`` (TOML), with each article's title and headings from ``kb_dir``, and the
    labelled messages of the ``extra`` files (JSON lines of ``{"text", "intent"}``) as more exemplars."""
    with path.open("rb") as fh:
        raw = tomllib.load(fh)
    specs: list[IntentSpec] = []
    for name, body in (raw.get("intents") or {}).items():
        kind: IntentKind = ("decline" if body.get("decline") else "unclear" if body.get("unclear")
                            else "article" if body.get("article") else "flow")
        if kind == "flow" and not body.get("flow"):
            raise ValueError(f"{path.name}: intent {name!r} names no article, flow, decline or unclear")
        specs.append(IntentSpec(
            name=name, kind=kind, article=body.get("article"), flow=body.get("flow"), lookup=body.get("lookup"),
            specialist=body.get("specialist"),
            topic=str(body.get("topic") or name), label=str(body.get("label") or name.replace("_", " ")),
            exemplars=tuple(str(e) for e in body.get("exemplars") or ()),
        ))
    texts: list[str] = []
    labels: list[str] = []
    for spec in specs:
        extra_texts = article_exemplars(kb_dir / f"{spec.article}.md") if kb_dir and spec.article else []
        for text in [*spec.exemplars, *extra_texts]:
            texts.append(text)
            labels.append(spec.name)
    known = {s.name for s in specs}
    for source in [extra] if isinstance(extra, Path) else extra:
        for line_no, line in enumerate(source.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            row = json.loads(line)
            if row.get("intent") not in known:
                raise ValueError(f"{source.name}:{line_no}: unknown intent {row.get('intent')!r}")
            texts.append(str(row["text"]))
            labels.append(str(row["intent"]))
    return IntentCatalog(intents=tuple(specs), texts=tuple(texts), labels=tuple(labels))
