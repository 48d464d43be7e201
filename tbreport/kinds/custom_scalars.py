"""The custom_scalars summary kind: wire identity, encode (writer side), decode (reader side)."""

from __future__ import annotations

PLUGIN_NAME = "custom_scalars"

# --- encode (writer side) ---

# --- decode (reader side) ---
