"""docs/defaults/make.sh's table: held-out loss (seqgraph evaluate, each run's last checkpoint) per
setting, mean ± std over seeds, and each seed's figure."""

import json
from pathlib import Path

import pandas as pd

HERE = Path(__file__).parent
rows = []
for cell in ("lstm", "torch"):
    summary = pd.read_csv(HERE / cell / "summary.csv")
    for r in summary.to_dict("records"):
        ev = json.loads((Path(r["folder"]) / "evaluate.json").read_text())
        setting = "nn.LSTM (--cell torch)" if cell == "torch" else f"lstm (seqgraph's), --forget-bias {r['forget_bias']:g}"
        rows.append({"setting": setting, "seed": r["seed"], "loss": ev["loss"], "bpc": ev["bpc"]})
df = pd.DataFrame(rows)
out = []
for setting, part in df.groupby("setting", sort=False):
    part = part.sort_values("seed")
    out.append({"setting": setting, "seeds": len(part),
                "held-out loss (mean ± std)": f"{part['loss'].mean():.3f} ± {part['loss'].std():.3f}",
                "bits/char": f"{part['bpc'].mean():.3f}",
                "per seed": ", ".join(f"{s}: {v:.3f}" for s, v in zip(part["seed"], part["loss"], strict=True))})
print("Held-out loss after 5,000 steps (seqgraph evaluate on each run's last checkpoint, its validation split):")
print(pd.DataFrame(out).to_string(index=False))
