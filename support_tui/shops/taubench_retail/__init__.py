"""tau-bench retail as a shop: ``open_taubench_shop(db)`` gives a ``TauRetailShop``; ``replay`` runs tasks' gold actions."""

from pathlib import Path

from support_tui.shops.taubench_retail.data import DEV_TASKS, ENV_DIR, DataDirError, RetailData, default_data_dir
from support_tui.shops.taubench_retail.shop import UNIDENTIFIED, TauRetailShop, open_taubench_shop

KB_DIR = Path(__file__).resolve().parent / "kb"
"""The shop's knowledge base: articles written from the benchmark's policy for its customers."""

__all__ = ["KB_DIR", "DEV_TASKS", "ENV_DIR", "DataDirError", "RetailData", "TauRetailShop", "UNIDENTIFIED", "default_data_dir", "open_taubench_shop"]
