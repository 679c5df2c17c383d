"""Shop implementations behind ``support_tui.core.shop.Shop``: the Northwind demo shop and tau-bench retail."""
