"""``support-tui router``: fit the router to a shop's own labelled messages, reset it, try it."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from support_tui.cli import UserError
from support_tui.core.evaluation import DatasetError, load_labelled
from support_tui.core.paths import DataPaths

if TYPE_CHECKING:
    from support_tui.core.routing import EmbeddingRouter


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("router", help="adapt the message router to your shop, or reset it")
    router_sub = parser.add_subparsers(dest="router_command", metavar="ACTION")
    parser.set_defaults(func=lambda args: _missing_action(parser))

    fit = router_sub.add_parser("fit", help="learn from labelled messages (JSON lines with text and label)")
    fit.add_argument("--data", type=Path, required=True, help="JSON lines: {'text': ..., 'label': ...}")
    fit.add_argument("--field", default="text", help="which field holds the message (default: text)")
    fit.add_argument("--folds", type=int, default=5, help="cross-validation folds (default: 5)")
    fit.add_argument("--json", action="store_true", help="print the fit summary as JSON")
    fit.set_defaults(func=fit_command)

    reset = router_sub.add_parser("reset", help="drop the fitted router and go back to the built-in exemplars")
    reset.set_defaults(func=reset_command)

    route = router_sub.add_parser("route", help="show how one message would be routed")
    route.add_argument("text")
    route.add_argument("--current", default=None, help="specialist holding the conversation so far")
    route.add_argument("--json", action="store_true")
    route.set_defaults(func=route_command)


def _missing_action(parser: argparse.ArgumentParser) -> int:
    raise UserError("router needs an action: fit, reset or route (see support-tui router --help)")


def _router(fitted: bool = True) -> EmbeddingRouter:
    from support_tui.core.kb.embedder import Embedder
    from support_tui.core.routing import EmbeddingRouter

    router_dir = DataPaths.default().router_dir if fitted else None
    router = EmbeddingRouter(Embedder(), fitted_dir=router_dir)
    router.prepare_sync()
    return router


def fit_command(args: argparse.Namespace) -> int:
    from support_tui.core.routing.embedding import model_id_of
    from support_tui.core.routing.fitted import fit_head

    if args.folds < 2:
        raise UserError("--folds must be at least 2")
    try:
        rows = load_labelled(args.data, args.field)
    except DatasetError as exc:
        raise UserError(str(exc)) from None
    if len({r.label for r in rows}) < 2:
        raise UserError(f"{args.data}: need messages of at least two specialists to fit")
    router = _router(fitted=False)
    texts = [r.text for r in rows]
    vectors = router.embedder.encode(texts)
    base = router.probabilities(vectors, texts)
    head = fit_head(vectors, [r.label for r in rows], base, model_id_of(router.embedder), folds=args.folds)
    target = DataPaths.default().router_dir
    head.meta["source"] = str(args.data.resolve())
    head.save(target)
    meta = head.meta
    if args.json:
        print(json.dumps({**meta, "blend": head.blend, "saved_to": str(target)}))
        return 0
    print(f"fitted on {meta['n']} messages: " + ", ".join(f"{k} {v}" for k, v in meta["per_label"].items() if v))
    if meta["cv_accuracy"] is None:
        print("too few messages per specialist for cross-validation")
    else:
        print(f"{meta['folds']}-fold cross-validated accuracy: {meta['cv_accuracy']:.3f} (head weight {head.blend}); "
              f"built-in exemplars alone: {meta['exemplar_accuracy']:.3f}")
    print(f"saved to {target}; `support-tui router reset` drops it")
    return 0


def reset_command(args: argparse.Namespace) -> int:
    from support_tui.core.routing.fitted import remove_head

    target = DataPaths.default().router_dir
    if remove_head(target):
        print(f"removed the fitted router from {target}")
    else:
        print("no fitted router; the built-in exemplars are in use")
    return 0


def route_command(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from support_tui.core.routing import RoutingContext

    from support_tui.cli._common import plain
    from support_tui.core.specialists import ROUTABLE

    args.text = plain(args.text).strip()
    if not args.text:
        raise UserError("the message is empty; write what the customer says")
    if args.current is not None and args.current not in ROUTABLE:
        raise UserError(f"unknown specialist {args.current!r}; one of {', '.join(ROUTABLE)}")
    router = _router()
    vector = router.embedder.encode([args.text])[0]
    decision = router.route_vector(vector, args.text, RoutingContext(current_agent=args.current))
    if args.json:
        data = asdict(decision)
        data["evidence"] = [e.model_dump() for e in decision.evidence]
        print(json.dumps(data))
        return 0
    flag = "  (ask to clarify)" if decision.clarify else ""
    print(f"{decision.agent}  {decision.confidence:.2f}  [{decision.method}]{flag}")
    print(decision.reason)
    for name, p in sorted(decision.scores.items(), key=lambda kv: -kv[1]):
        print(f"  {name:<20} {p:.3f}")
    return 0
