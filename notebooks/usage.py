"""Picsart credits and Shotstack renders from the warehouse, charted: a marimo notebook.

Open it with `marimo edit notebooks/usage.py` (or `marimo run` to view it) from the project root;
`python notebooks/usage.py --save docs/usage.png` runs it as a script and saves its figure.
"""

import marimo

__generated_with = "0.25.2"
app = marimo.App(width="full")


@app.cell
def _():
    import dlt
    import marimo as mo
    import matplotlib

    matplotlib.use("Agg")  # draw off-screen: the figure is shown as an image, or saved
    import matplotlib.pyplot as plt
    import pandas as pd

    return dlt, mo, pd, plt


@app.cell
def _(dlt):
    # dlt's dataset interface finds the warehouse from the project root; ibis reads it read-only,
    # and the connections close at once, so a load is never kept waiting by this notebook
    picsart = dlt.pipeline("picsart_pipeline").dataset().ibis(read_only=True)
    shotstack = dlt.pipeline("shotstack_pipeline").dataset().ibis(read_only=True)
    try:
        balance = picsart.table("balance").order_by("taken_at").to_pandas()
        credit_days = picsart.table("credit_balance_daily", database="usage").order_by("day").to_pandas()
        render_days = picsart.table("render_usage_daily", database="usage").to_pandas()
        renders = shotstack.table("renders").to_pandas()
    finally:
        picsart.disconnect()
        shotstack.disconnect()
    return balance, credit_days, render_days, renders


@app.cell
def _(credit_days, pd):
    # the newest day's burn and runway; the run-out date as the README's query gives it
    newest = credit_days.iloc[-1]
    burn_7d = float(newest["avg_burn_7d"])
    days_left = newest["days_of_credit_left"]
    runs_out_on = (
        None if pd.isna(days_left) else pd.Timestamp(newest["day"]).date() + pd.Timedelta(days=int(days_left))
    )
    top_ups = credit_days.loc[credit_days["credits_topped_up"] > 0, ["day", "credits_topped_up"]]
    return burn_7d, runs_out_on, top_ups


@app.cell
def _(render_days, renders):
    minutes = render_days.pivot_table(
        index="day", columns="version", values="minutes_rendered", aggfunc="sum", fill_value=0
    )
    outcomes = render_days.groupby("day")[["renders_done", "renders_failed"]].sum()
    finished = outcomes["renders_done"] + outcomes["renders_failed"]
    failure_rate = (outcomes["renders_failed"] / finished.where(finished > 0)).dropna()
    done = renders[renders["status"] == "done"]
    speed = done[["duration", "render_time"]].assign(render_seconds=done["render_time"] / 1000)
    return failure_rate, minutes, speed


@app.cell
def _(balance, burn_7d, credit_days, failure_rate, minutes, plt, runs_out_on, speed, top_ups):
    figure, axes = plt.subplots(2, 3, figsize=(16, 8.5), layout="constrained")
    credits, burn, per_day, failures, timing, blank = axes.flat
    credits.plot(balance["taken_at"], balance["credits"], color="tab:blue")
    for _, top_up in top_ups.iterrows():
        credits.axvline(top_up["day"], color="tab:green", linestyle="--")
        credits.annotate(f"+{top_up['credits_topped_up']:,}", (top_up["day"], balance["credits"].max()))
    credits.set_title("Picsart credits (dashed: top-ups)")
    burn.bar(credit_days["day"], credit_days["credits_spent"], color="tab:gray", label="spent")
    burn.plot(credit_days["day"], credit_days["avg_burn_7d"], color="tab:red", label="7-day burn")
    burn.legend()
    burn.set_title(f"Burn {burn_7d:,.0f} credits/day; runs out on {runs_out_on or 'never'}")
    minutes.rename(index=lambda day: f"{day:%m-%d}").plot.bar(ax=per_day, stacked=True, rot=60)
    per_day.set_title("Minutes rendered per day and version")
    failures.plot(failure_rate.index, failure_rate.values, marker="o", color="tab:red")
    failures.set_ylim(0, 1)
    failures.set_title("Failure rate of finished renders, per day")
    timing.scatter(speed["duration"], speed["render_seconds"], alpha=0.6)
    timing.set_xlabel("output duration (s)")
    timing.set_ylabel("render time (s)")
    timing.set_title("Render time against output duration")
    blank.axis("off")
    for axis in (credits, burn, failures):
        axis.tick_params(axis="x", labelrotation=30)
    return (figure,)


@app.cell
def _(burn_7d, figure, mo, runs_out_on):
    # `python notebooks/usage.py --save <file>` saves the figure, e.g. for the README's picture
    saved = mo.cli_args().get("save")
    if saved:
        figure.savefig(saved, dpi=80)
    forecast = f"**Runs out on:** {runs_out_on or 'never, at no spend'}"
    mo.vstack([mo.md(f"**7-day burn:** {burn_7d:,.0f} credits a day. {forecast}."), figure])
    return


if __name__ == "__main__":
    app.run()
