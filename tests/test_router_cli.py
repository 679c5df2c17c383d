"""``eval routing``, ``router fit`` and ``router reset`` on small labelled files, without network."""

from __future__ import annotations

import json
import random

import pytest

from support_tui.cli import main
from support_tui.core.paths import DataPaths
from support_tui.core.specialists import ROUTABLE


@pytest.fixture(autouse=True)
def _shared_exemplar_cache(tmp_path_factory, monkeypatch):
    """One exemplar cache for every CLI run here, so each run skips re-encoding."""
    monkeypatch.setenv("SUPPORT_TUI_CACHE", str(tmp_path_factory.getbasetemp() / "router-cli-cache"))


SMALL = [
    ("where is my parcel, it's a week late", "order_tracking"),
    ("I'd like to send the shoes back, they pinch", "returns_refunds"),
    ("what fabric is the blue scarf made of?", "product_info"),
    ("you took the money twice from my card", "billing_payment"),
    ("the password reset email never comes", "technical_support"),
    ("please put my new phone number on my account", "account_management"),
]


def write_jsonl(path, rows, field="text"):
    path.write_text("\n".join(json.dumps({field: t, "label": l}) for t, l in rows) + "\n", encoding="utf-8")
    return path


def run_json(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr().out
    assert code == 0, out
    return json.loads(out)


def test_eval_routing_json_shape(tmp_path, capsys):
    data = run_json(capsys, "eval", "routing", "--data", str(write_jsonl(tmp_path / "s.jsonl", SMALL)), "--json")
    assert data["n"] == 6
    assert 0.0 <= data["accuracy"] <= 1.0 and 0.0 <= data["macro_f1"] <= 1.0
    assert set(data["per_label"]) == set(ROUTABLE)
    assert set(data["per_label"]["order_tracking"]) == {"precision", "recall", "f1", "support"}
    assert set(data["confusion"]) == set(ROUTABLE)
    assert sum(sum(row.values()) for row in data["confusion"].values()) == 6
    assert data["accuracy"] >= 5 / 6


def test_eval_routing_keyword_and_field(tmp_path, capsys):
    path = write_jsonl(tmp_path / "o.jsonl", SMALL, field="opening")
    data = run_json(capsys, "eval", "routing", "--data", str(path), "--field", "opening", "--router", "keyword", "--json")
    assert data["n"] == 6 and data["router"] == "keyword"


def test_eval_routing_prints_tables(tmp_path, capsys):
    assert main(["eval", "routing", "--data", str(write_jsonl(tmp_path / "s.jsonl", SMALL)), "--router", "keyword"]) == 0
    out = capsys.readouterr().out
    assert "accuracy" in out and "macro-F1" in out and "confusion" in out


@pytest.mark.parametrize(
    "content, message",
    [
        ('{"text": "hi", "label": "sales"}\n', "label 'sales' is not one of"),
        ("{oops\n", "not JSON"),
        ('{"opening": "hi", "label": "product_info"}\n', "missing or empty 'text'"),
    ],
)
def test_eval_routing_bad_files_are_one_clear_line(tmp_path, capsys, content, message):
    path = tmp_path / "bad.jsonl"
    path.write_text(content, encoding="utf-8")
    assert main(["eval", "routing", "--data", str(path), "--router", "keyword"]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and err.count("\n") == 1


def test_eval_routing_missing_file(tmp_path, capsys):
    assert main(["eval", "routing", "--data", str(tmp_path / "nope.jsonl")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_llm_router_without_keys_says_so(tmp_path, capsys):
    path = write_jsonl(tmp_path / "s.jsonl", SMALL)
    assert main(["eval", "routing", "--data", str(path), "--router", "llm", "--model", "openai/gpt-4o-mini"]) == 2
    assert "OPENAI_API_KEY" in capsys.readouterr().err


def test_llm_router_refuses_the_offline_model(tmp_path, capsys):
    path = write_jsonl(tmp_path / "s.jsonl", SMALL)
    assert main(["eval", "routing", "--data", str(path), "--router", "llm", "--model", "offline/support-agent"]) == 2
    assert "offline model" in capsys.readouterr().err


def test_llm_answer_parsing():
    from support_tui.core.llm.llm_router import parse_answer

    decision = parse_answer('Sure: {"agent": "billing_payment", "confidence": 0.8}', "m")
    assert (decision.agent, decision.confidence, decision.method) == ("billing_payment", 0.8, "llm")
    assert parse_answer("I think technical_support.", "m").agent == "technical_support"
    assert parse_answer("no idea", "m").clarify


def synthetic_shop(seed: int = 7) -> list[tuple[str, str]]:
    """A shop's labelled messages, built from phrase parts (its own wording, e.g. gift cards are billing)."""
    parts = {
        "order_tracking": ["where has my {x} got to", "no sign of the {x} I ordered", "courier update for my {x}?"],
        "returns_refunds": ["sending the {x} back please", "refund for the {x} I returned", "the {x} is faulty, want a swap"],
        "product_info": ["does the {x} come in green", "how big is the {x}", "is the {x} in stock"],
        "billing_payment": ["gift card balance used on my {x}?", "double payment for the {x}", "fee added to the {x} invoice"],
        "technical_support": ["app freezes on the {x} page", "can't sign in to buy the {x}", "checkout error with the {x}"],
        "account_management": ["update my address before the next {x}", "new email for my account please", "change my surname on the account"],
    }
    items = ["lamp", "sofa", "rug", "kettle"]
    rows = [(p.format(x=x), label) for label, ps in parts.items() for p in ps for x in items]
    random.Random(seed).shuffle(rows)
    return rows


def test_fit_cross_validates_saves_and_is_used_then_reset(tmp_path, capsys):
    path = write_jsonl(tmp_path / "shop.jsonl", synthetic_shop())
    fit = run_json(capsys, "router", "fit", "--data", str(path), "--json")
    assert fit["n"] == 72 and fit["folds"] == 5
    assert fit["cv_accuracy"] >= 0.9
    assert fit["cv_accuracy"] >= fit["exemplar_accuracy"]
    router_dir = DataPaths.default().router_dir
    assert (router_dir / "head.npz").exists() and (router_dir / "head.json").exists()

    used = run_json(capsys, "eval", "routing", "--data", str(path), "--json")
    assert used["fitted_on"] == 72
    plain = run_json(capsys, "eval", "routing", "--data", str(path), "--json", "--no-fitted")
    assert plain["fitted_on"] is None

    assert main(["router", "reset"]) == 0
    assert "removed" in capsys.readouterr().out
    assert not (router_dir / "head.npz").exists()
    assert main(["router", "reset"]) == 0
    assert "no fitted router" in capsys.readouterr().out
    assert run_json(capsys, "eval", "routing", "--data", str(path), "--json")["fitted_on"] is None


def test_engine_router_uses_the_fitted_head(tmp_path, capsys, shared_embedder):
    from support_tui.core.routing import EmbeddingRouter

    run_json(capsys, "router", "fit", "--data", str(write_jsonl(tmp_path / "shop.jsonl", synthetic_shop())), "--json")
    router = EmbeddingRouter(shared_embedder, fitted_dir=DataPaths.default().router_dir)
    router.prepare_sync()
    text = "gift card balance used on my rug?"
    assert router.route_vector(shared_embedder.encode([text])[0], text).method == "fitted"


def test_fit_needs_two_specialists(tmp_path, capsys):
    path = write_jsonl(tmp_path / "one.jsonl", [("where is it", "order_tracking")] * 6)
    assert main(["router", "fit", "--data", str(path)]) == 2
    assert "at least two specialists" in capsys.readouterr().err


def test_router_route_command(capsys):
    data = run_json(capsys, "router", "route", "I forgot my password", "--json")
    assert data["agent"] == "technical_support" and data["evidence"]
