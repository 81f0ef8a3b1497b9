"""The grid against the search (docs/search/make.sh): per length, the best learning rate each
found, the steps it solved in, and the run-steps each spent; then both rates on seeds 2-4.

    python docs/search/compare.py            the table (docs/search/table.txt)
    python docs/search/compare.py --rates    per length: L and the two rates (for the check runs)
"""

import math
import sys
from pathlib import Path

import pandas as pd

HERE = Path(__file__).parent
LENGTHS = (10, 20, 30)


def steps_to_solved(df):
    """A run's steps to solved; never solved: its budget + 1 (as the search's objective)."""
    return df["solved_step"].where(df["solved_step"].notna(), df["steps"] + 1)


def best(df):
    """The fastest-solving run's row (ties: the lower rate)."""
    df = df.assign(objective=steps_to_solved(df)).sort_values(["objective", "lr"], kind="stable")
    return df.iloc[0]


def main() -> None:
    grid = pd.read_csv(HERE / "grid" / "summary.csv")
    rows, rates = [], []
    for L in LENGTHS:
        g = grid[grid["length"] == L]
        s = pd.read_csv(HERE / f"search-L{L}" / "summary.csv")
        trials = pd.read_csv(HERE / f"search-L{L}" / "trials.csv")
        gb, sb = best(g), best(s[s["status"] == "ok"])
        rates.append((L, gb["lr"], sb["lr"]))
        counts = trials["state"].value_counts()
        rows.append({"L": L, "grid best lr": f"{gb['lr']:.3g}", "grid steps to solved": int(gb["objective"]),
                     "grid runs": len(g), "grid run-steps": int(g["trained_steps"].sum()),
                     "search best lr": f"{sb['lr']:.3g}", "search steps to solved": int(sb["objective"]),
                     "search trials (complete/pruned)": f"{counts.get('complete', 0)}/{counts.get('pruned', 0)}",
                     "search run-steps": int(s["trained_steps"].sum()),
                     "search / grid run-steps": f"{s['trained_steps'].sum() / g['trained_steps'].sum():.2f}"})
    if "--rates" in sys.argv:
        for L, a, b in rates:
            print(L, ",".join(dict.fromkeys(f"{r:.6g}" for r in (a, b))))  # (the check runs train these roundings)
        return
    pd.set_option("display.width", 200)
    print("Found on seed 1 (the never-solved count as steps + 1; a run stops 3 evaluations after it solves):")
    print(pd.DataFrame(rows).to_string(index=False))
    checks = []
    for L, a, b in rates:
        path = HERE / f"check-L{L}" / "summary.csv"
        if not path.exists():
            continue
        c = pd.read_csv(path)
        for who, lr in (("grid", a), ("search", b)):
            part = c[c["lr"].map(lambda x, lr=lr: math.isclose(x, lr, rel_tol=1e-5))]
            st = steps_to_solved(part)
            checks.append({"L": L, "found by": who, "lr": f"{lr:.3g}", "seeds": len(part),
                           "solved": f"{int(part['solved_step'].notna().sum())}/{len(part)}",
                           "steps to solved (mean ± std)": f"{st.mean():.0f} ± {st.std():.0f}",
                           "final accuracy (mean)": f"{part['final_accuracy'].mean():.3f}"})
    if checks:
        print()
        print("Both rates on seeds 2-4:")
        print(pd.DataFrame(checks).to_string(index=False))


if __name__ == "__main__":
    main()
