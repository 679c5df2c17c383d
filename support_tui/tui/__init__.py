"""The Textual console: views over the engine's event stream."""
