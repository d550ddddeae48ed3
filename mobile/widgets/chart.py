"""Trend charts drawn with canvas instructions. All geometry comes from
`mobile.presenters.trends` in a unit square; these widgets only scale it to pixels and draw.
Every band and mark carries a text label, so nothing is told by colour alone."""

from __future__ import annotations

from kivy.app import App
from kivy.clock import Clock
from kivy.core.text import Label as CoreLabel
from kivy.graphics import Color, Ellipse, Line, Rectangle, Triangle
from kivy.metrics import dp, sp
from kivy.properties import ObjectProperty
from kivy.uix.widget import Widget

from mobile import theme as T
from mobile.presenters.trends import LabChart, SymptomGrid, latest_label_side


def _scale() -> float:
    app = App.get_running_app()
    return float(getattr(app, "text_scale", 1.0))


def _text(canvas_text: str, size_sp: float, *, bold: bool = False, color: T.Color = T.TEXT) -> CoreLabel:
    label = CoreLabel(text=canvas_text, font_size=sp(size_sp) * _scale(), bold=bold, color=color)
    label.refresh()
    return label


class LabChartView(Widget):
    model: LabChart | None = ObjectProperty(None, allownone=True)  # type: ignore[assignment]

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        # Drawn once per frame at most, after the layout has settled (a resize moves pos and size apart).
        self.redraw = Clock.create_trigger(self.draw)
        self.bind(pos=self.redraw, size=self.redraw, model=self.redraw)

    def draw(self, *_: object) -> None:
        self.canvas.clear()
        model = self.model
        if model is None or self.width < 10:
            return
        band_labels = [
            _text(b.label, T.SMALL, bold=True, color=T.MUTED if b.grade == 0 else T.TEXT) for b in model.bands
        ]
        tick_labels = [_text(t.label, T.SMALL, color=T.MUTED) for t in model.y_ticks]
        # Margins fit the widest labels, so nothing is clipped at any text size.
        left = max([lb.texture.width for lb in tick_labels] + [0]) + dp(10)
        right = max([lb.texture.width for lb in band_labels] + [0]) + dp(10)
        strip = dp(30)  # dose marks under the plot
        bottom = dp(30) * _scale() + strip
        top_pad = dp(8)
        px, py = self.x + left, self.y + bottom
        pw, ph = max(self.width - left - right, 1), max(self.height - bottom - top_pad, 1)
        radius = dp(7)
        # Readings sit inside the frame: the x axis is inset by a point's radius on both sides, so
        # today's reading (at the right edge) is drawn whole within the plot, not on its border.
        inset = radius + dp(2)

        def sx(x: float) -> float:
            return px + inset + x * max(pw - 2 * inset, 1)

        def sy(y: float) -> float:
            return py + y * ph

        with self.canvas:
            # Grade bands, each with its label at the right edge.
            for band in model.bands:
                Color(*T.BANDS.get(band.grade, T.BANDS[0]))
                Rectangle(pos=(px, sy(band.lo)), size=(pw, sy(band.hi) - sy(band.lo)))
            for band, label in zip(model.bands, band_labels, strict=True):
                height = sy(band.hi) - sy(band.lo)
                if height >= label.texture.height * 0.8:
                    Color(1, 1, 1, 1)
                    Rectangle(
                        texture=label.texture,
                        pos=(px + pw + dp(6), sy(band.lo) + (height - label.texture.height) / 2),
                        size=label.texture.size,
                    )
            # Nadir window: a grey veil over days 14-21.
            Color(*T.NADIR)
            for span in model.nadir:
                Rectangle(pos=(sx(span.x0), py), size=(sx(span.x1) - sx(span.x0), ph))
            # Frame and y ticks.
            Color(*T.MUTED)
            Line(rectangle=(px, py, pw, ph), width=dp(1))
            for tick, label in zip(model.y_ticks, tick_labels, strict=True):
                Color(*T.BORDER)
                Line(points=[px, sy(tick.at), px + pw, sy(tick.at)], width=dp(0.6))
                Color(1, 1, 1, 1)
                Rectangle(
                    texture=label.texture,
                    pos=(px - label.texture.width - dp(6), sy(tick.at) - label.texture.height / 2),
                    size=label.texture.size,
                )
            # Dose strip: lenalidomide days as a bar, ixazomib doses as triangles.
            strip_y = self.y + dp(30) * _scale()
            Color(*T.LEN_BAR)
            for span in model.lenalidomide_days:
                Rectangle(pos=(sx(span.x0), strip_y + dp(4)), size=(sx(span.x1) - sx(span.x0), dp(6)))
            Color(*T.DOSE_MARK)
            for x in model.ixazomib_days:
                cx = sx(x)
                Triangle(points=[cx - dp(8), strip_y + dp(12), cx + dp(8), strip_y + dp(12), cx, strip_y + dp(28)])
            # x ticks (dates).
            for tick in model.x_ticks:
                label = _text(tick.label, T.SMALL, color=T.MUTED)
                x = min(max(sx(tick.at) - label.texture.width / 2, self.x), self.right - label.texture.width)
                Color(1, 1, 1, 1)
                Rectangle(texture=label.texture, pos=(x, self.y), size=label.texture.size)
            # Readings: a line through them, a dot on each, the latest value written out.
            points = [(sx(p.x), sy(p.y)) for p in model.points]
            if len(points) > 1:
                Color(*T.CHART_LINE)
                Line(points=[c for xy in points for c in xy], width=dp(2))
            for x, y in points:
                Color(1, 1, 1, 1)
                Ellipse(pos=(x - radius - dp(2), y - radius - dp(2)), size=(2 * radius + dp(4), 2 * radius + dp(4)))
                Color(*T.CHART_POINT)
                Ellipse(pos=(x - radius, y - radius), size=(2 * radius, 2 * radius))
            if model.points:
                # The latest value, written beside its point on the side away from the line coming
                # into it (latest_label_side), kept inside the plot.
                last = model.points[-1]
                label = _text(last.label, T.BODY, bold=True)
                vertical, horizontal = latest_label_side(model.points)
                lx, ly = sx(last.x), sy(last.y)
                w, h = label.texture.size
                x = lx - radius - dp(4) - w if horizontal == "left" else lx + radius + dp(4)
                y = ly - radius - h if vertical == "below" else ly + radius
                x = min(max(x, px + dp(2)), px + pw - w - dp(2))
                y = min(max(y, py + dp(1)), py + ph - h)
                Color(1, 1, 1, 0.85)
                Rectangle(pos=(x - dp(3), y), size=(label.texture.width + dp(6), label.texture.height))
                Color(1, 1, 1, 1)
                Rectangle(texture=label.texture, pos=(x, y), size=label.texture.size)


class SymptomGridView(Widget):
    """One row per symptom: its name, then a cell per day with the worst grade written in it."""

    model: SymptomGrid | None = ObjectProperty(None, allownone=True)  # type: ignore[assignment]

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.redraw = Clock.create_trigger(self.draw)
        self.bind(pos=self.redraw, size=self.redraw, model=self.redraw)
        self.bind(width=self._fit, model=self._fit)

    def _fit(self, *_: object) -> None:
        self.height = self.wanted_height()

    def wanted_height(self) -> float:
        if self.model is None:
            return 0.0
        return float(self._header() + len(self.model.rows) * (self._name_h() + self._cell()) + dp(8))

    def _cell(self) -> float:
        columns = max(len(self.model.day_labels), 1) if self.model else 1
        return float(min(self.width / columns, dp(44)))

    def _header(self) -> float:
        return float(sp(T.SMALL) * _scale() * 1.6)

    def _name_h(self) -> float:
        return float(sp(T.BODY) * _scale() * 1.6)

    def draw(self, *_: object) -> None:
        self.canvas.clear()
        model = self.model
        if model is None or self.width < 10:
            return
        cell = self._cell()
        top = self.top
        with self.canvas:
            labels = [_text(t, T.SMALL, color=T.MUTED) for t in model.day_labels]
            every = 2 if labels and max(lb.texture.width for lb in labels) > cell - dp(2) else 1
            for i, label in enumerate(labels):
                if i % every and i != len(labels) - 1:
                    continue
                Color(1, 1, 1, 1)
                Rectangle(
                    texture=label.texture,
                    pos=(self.x + i * cell + (cell - label.texture.width) / 2, top - self._header()),
                    size=label.texture.size,
                )
            y = top - self._header()
            for row in model.rows:
                name = _text(row.name, T.BODY, bold=True)
                y -= self._name_h()
                Color(1, 1, 1, 1)
                Rectangle(texture=name.texture, pos=(self.x, y + dp(4)), size=name.texture.size)
                y -= cell
                for i, c in enumerate(row.cells):
                    x = self.x + i * cell
                    Color(*(T.BANDS[c.level] if c.text else T.SURFACE))
                    Rectangle(pos=(x + dp(1), y + dp(1)), size=(cell - dp(2), cell - dp(2)))
                    Color(*T.BORDER)
                    Line(rectangle=(x + dp(1), y + dp(1), cell - dp(2), cell - dp(2)), width=dp(0.8))
                    if c.text:
                        digit = _text(c.text, T.SMALL, bold=True)
                        Color(1, 1, 1, 1)
                        Rectangle(
                            texture=digit.texture,
                            pos=(x + (cell - digit.texture.width) / 2, y + (cell - digit.texture.height) / 2),
                            size=digit.texture.size,
                        )
