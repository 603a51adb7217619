"""Geometry of the scans-per-day chart; templates/analytics/_chart.html draws it as SVG.

Bars are people (bots stacked above in grey), the line is unique visitors.
Plain arithmetic, no chart library: the page stays one request and works
without JavaScript.
"""
import math
from datetime import date

WIDTH, HEIGHT = 760, 260
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 14, 30


def nice_step(maximum, ticks=4):
    """A round step (1, 2, 5 × 10^n) that splits 0..maximum into about `ticks` parts."""
    if maximum <= 0:
        return 1
    raw = maximum / ticks
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * power:
            return max(1, int(factor * power))
    return int(10 * power)


def short_number(n):
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f}M".replace(".0M", "M")
    if n >= 10_000:
        return f"{n / 1000:.0f}k"
    if n >= 1000:
        return f"{n / 1000:.1f}k".replace(".0k", "k")
    return str(n)


def day_chart(by_day):
    """by_day: [{date, scans, unique, bots}] → what the SVG template needs."""
    count = max(len(by_day), 1)
    peak = max([d["scans"] + d["bots"] for d in by_day] + [0])
    step = nice_step(peak)
    top_value = max(step * math.ceil(peak / step), step)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / count
    bar_w = max(slot * 0.72, 1.0)

    def y(value):
        return TOP + plot_h - plot_h * value / top_value

    bars, line = [], []
    for i, d in enumerate(by_day):
        x = LEFT + i * slot + (slot - bar_w) / 2
        people_top, all_top = y(d["scans"]), y(d["scans"] + d["bots"])
        label = date.fromisoformat(d["date"]).strftime("%a %-d %b %Y")
        bars.append({
            "x": round(x, 2), "w": round(bar_w, 2),
            "people_y": round(people_top, 2), "people_h": round(TOP + plot_h - people_top, 2),
            "bots_y": round(all_top, 2), "bots_h": round(people_top - all_top, 2),
            "title": f"{label}: {d['scans']} scans, {d['unique']} unique, {d['bots']} bots",
        })
        line.append(f"{x + bar_w / 2:.2f},{y(d['unique']):.2f}")

    ticks = [{"y": round(y(v), 2), "label": short_number(v)}
             for v in range(0, top_value + 1, step)]
    every = max(1, math.ceil(count / 7))
    labels = [{"x": round(LEFT + i * slot + slot / 2, 2),
               "label": date.fromisoformat(d["date"]).strftime("%-d %b")}
              for i, d in enumerate(by_day) if i % every == 0]
    return {"width": WIDTH, "height": HEIGHT, "left": LEFT, "right": WIDTH - RIGHT,
            "baseline": TOP + plot_h, "bars": bars, "line": " ".join(line), "ticks": ticks,
            "labels": labels, "empty": peak == 0, "dots": count <= 62}
