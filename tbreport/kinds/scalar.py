"""The scalar summary kind: wire identity, encode (writer side), decode (reader side)."""

from __future__ import annotations

PLUGIN_NAME = "scalars"

# --- encode (writer side) ---

# --- decode (reader side) ---
