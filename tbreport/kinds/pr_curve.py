"""The pr_curve summary kind: wire identity, encode (writer side), decode (reader side)."""

from __future__ import annotations

PLUGIN_NAME = "pr_curves"

# --- encode (writer side) ---

# --- decode (reader side) ---
