"""Widgets of the console: conversation, side panels, status line."""
