"""tau-bench retail as a shop: ``open_taubench_shop(db)`` gives a ``TauRetailShop``; ``replay`` runs tasks' gold actions."""

from support_tui.shops.taubench_retail.data import DEV_TASKS, ENV_DIR, DataDirError, RetailData, default_data_dir
from support_tui.shops.taubench_retail.shop import TauRetailShop, open_taubench_shop

__all__ = ["DEV_TASKS", "ENV_DIR", "DataDirError", "RetailData", "TauRetailShop", "default_data_dir", "open_taubench_shop"]
