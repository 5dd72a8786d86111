"""The workshop dashboard (Solara): levers, live outcomes, the baseline side by side (issue 12)."""
