"""The audio summary kind: wire identity, encode (writer side), decode (reader side)."""

from __future__ import annotations

PLUGIN_NAME = "audio"

# --- encode (writer side) ---

# --- decode (reader side) ---
