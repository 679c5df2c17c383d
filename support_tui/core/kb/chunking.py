"""Markdown documents split into retrieval chunks of about 500-800 characters, with stable ids."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

CHUNKER_VERSION = "3"
"""Bump when the splitting rules change, so every document is re-embedded on the next ingest."""

TARGET_CHARS = 650
"""The size a document's pieces aim for; each document is cut into equal-ish pieces near it."""
MAX_CHARS = 800
"""Chunks stay under this size unless a single sentence is longer."""
MIN_CHARS = 250
"""A trailing piece shorter than this joins the chunk before it (which may then pass MAX a little)."""

_HEADING = re.compile(r"^(#{1,6})\s+(.*\S)\s*$")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class Document:
    """One markdown file of the knowledge base."""

    doc_id: str
    """The file stem (kebab-case), e.g. ``returns-policy``."""
    title: str
    """Text of the first ``# `` heading (the stem when there is none)."""
    body: str
    """Everything after the title line."""
    content_hash: str
    """Hash of the raw text plus the chunker version: a change means re-embedding."""


@dataclass(frozen=True)
class Chunk:
    """A piece of a document small enough to retrieve and quote."""

    doc_id: str
    chunk_id: str
    """``{doc_id}#{n}``, counting from 0 in document order."""
    title: str
    text: str
    """The chunk as a reader sees it, section headings included."""

    @property
    def search_text(self) -> str:
        """What is embedded and indexed for full-text search: the title gives context."""
        return f"{self.title}\n{self.text}"


def read_document(path: Path) -> Document:
    """Read one markdown file; the title is its first ``# `` heading."""
    # A stray byte that is not UTF-8 (a file saved as Latin-1, say) must not stop the whole ingest.
    raw = path.read_bytes().decode("utf-8", errors="replace")
    text = raw.replace("\r\n", "\n").lstrip("\ufeff")
    lines = text.split("\n")
    title = path.stem.replace("-", " ").capitalize()
    body_start = 0
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        match = _HEADING.match(line)
        if match and len(match.group(1)) == 1:
            title = match.group(2).strip()
            body_start = i + 1
        break
    body = "\n".join(lines[body_start:]).strip()
    digest = hashlib.sha256(f"{CHUNKER_VERSION}\n{raw}".encode("utf-8")).hexdigest()[:16]
    return Document(doc_id=path.stem, title=title, body=body, content_hash=digest)


def read_corpus(source_dir: Path) -> list[Document]:
    """Every ``*.md`` file directly under ``source_dir``, sorted by doc_id."""
    return [read_document(p) for p in sorted(source_dir.glob("*.md")) if p.is_file()]


def _blocks(body: str) -> list[str]:
    """Paragraphs, each heading glued to the paragraph that follows it."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", body) if p.strip()]
    blocks: list[str] = []
    pending_heading = ""
    for para in paragraphs:
        first, _, rest = para.partition("\n")
        if _HEADING.match(first):
            heading = first.strip()
            if not rest.strip():
                # A heading alone: it opens the next paragraph.
                pending_heading = f"{pending_heading}\n{heading}".strip() if pending_heading else heading
                continue
            para = f"{heading}\n{rest.strip()}"
        if pending_heading:
            para = f"{pending_heading}\n{para}"
            pending_heading = ""
        blocks.append(para)
    if pending_heading:
        blocks.append(pending_heading)
    return blocks


def _split_long(block: str, max_chars: int) -> list[str]:
    """Break an oversized block at sentence ends (never mid-sentence unless a sentence is huge)."""
    pieces: list[str] = []
    current = ""
    for sentence in _SENTENCE_END.split(block):
        candidate = f"{current} {sentence}".strip() if current else sentence
        if len(candidate) <= max_chars or not current:
            current = candidate
        else:
            pieces.append(current)
            current = sentence
    if current:
        pieces.append(current)
    return pieces


def split_text(body: str, *, target: int = TARGET_CHARS, max_chars: int = MAX_CHARS, min_chars: int = MIN_CHARS) -> list[str]:
    """Pack paragraphs (with their headings) into pieces of even size near ``target`` characters."""
    units: list[str] = []
    for block in _blocks(body):
        # A numbered list stays in one chunk however long, so its steps are quoted complete.
        numbered = re.search(r"(?m)^\d+[.)]\s", block) is not None
        units.extend(_split_long(block, max_chars) if len(block) > max_chars and not numbered else [block])
    if not units:
        return []
    total = sum(len(u) + 2 for u in units)
    # Aim every piece at the same size, so a document does not end in a scrap.
    goal = total / max(1, round(total / target))
    pieces: list[str] = []
    current = ""
    for unit in units:
        if is_answer(unit) or is_answer(current):
            # An article's answer section is a chunk of its own, so it is retrieved and quoted whole.
            if current:
                pieces.append(current)
            current = unit
        elif not current:
            current = unit
        elif len(current) + 2 + len(unit) <= max_chars and len(current) + len(unit) / 2 < goal:
            current = f"{current}\n\n{unit}"
        else:
            pieces.append(current)
            current = unit
    if pieces and len(current) < min_chars and not is_answer(pieces[-1]) and not is_answer(current) and len(pieces[-1]) + 2 + len(current) <= max_chars + min_chars // 2:
        pieces[-1] = f"{pieces[-1]}\n\n{current}"
    else:
        pieces.append(current)
    return pieces


ANSWER_HEADING = "## Answer"
"""An article's short customer-facing answer: the offline model quotes it whole."""


def is_answer(block: str) -> bool:
    return block.startswith(ANSWER_HEADING + "\n") or block == ANSWER_HEADING


def chunk_document(doc: Document) -> list[Chunk]:
    """The document's chunks, numbered ``{doc_id}#0``, ``#1``, ... in order."""
    return [
        Chunk(doc_id=doc.doc_id, chunk_id=f"{doc.doc_id}#{n}", title=doc.title, text=text)
        for n, text in enumerate(split_text(doc.body))
    ]
