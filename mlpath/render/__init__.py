"""Renderers: one per result type, each writing rich text, plain text or JSON."""
