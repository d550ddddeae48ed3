"""Reusable widgets: `common` (text, buttons, cards, banners, outcome) and `chart` (canvas-drawn
trend charts fed by `mobile.presenters.trends`)."""
