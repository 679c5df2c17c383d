"""Scripted support scenarios: the file format, running them on fresh stores, and checking what the engine did."""

from support_tui.core.scenarios.check import check_read, check_turn
from support_tui.core.scenarios.model import (
    ApproveStep,
    CustomerStep,
    DenyStep,
    FinalExpect,
    ReadCheck,
    Scenario,
    ScenarioError,
    ShopRead,
    StoreCheck,
    TurnExpect,
    load_scenario,
    load_scenarios,
    scenarios_dir,
)
from support_tui.core.scenarios.run import ScenarioResult, StepResult, check_final, run_scenario, run_scenarios

__all__ = [
    "ApproveStep", "CustomerStep", "DenyStep", "FinalExpect", "ReadCheck", "Scenario", "ScenarioError", "ScenarioResult",
    "ShopRead", "StepResult", "StoreCheck", "TurnExpect", "check_final", "check_read", "check_turn", "load_scenario",
    "load_scenarios",
    "run_scenario", "run_scenarios", "scenarios_dir",
]
