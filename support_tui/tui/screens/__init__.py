"""Screens and modal dialogs of the console."""
