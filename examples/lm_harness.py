"""
lm-evaluation-harness on a local seed population, read back by distscale
========================================================================

Tiny local GPT-2 models (2 sizes x 3 seeds: a base model whose last block and
LM head are re-initialised per seed) are evaluated by lm-evaluation-harness
itself, through its Python API, on a local multiple-choice task (a JSON
Lines file and a task YAML; nothing from the hub), with per-sample logging
(what ``lm_eval --output_path OUT --log_samples`` writes). distscale then
reads the harness's files with :func:`distscale.io.read_lm_eval` and
:func:`distscale.io.read_lm_eval_samples`, and the script checks that every
value equals the harness's own aggregates.

Needs the ``lm`` and ``lm-eval`` extras (tested with lm-eval 0.4.13). Run::

    python examples/lm_harness.py [OUT_DIR]

(about a minute on a CPU). The documentation build shows this file without
running it.
"""

from __future__ import annotations

import copy
import json
import sys
import tempfile
from pathlib import Path

import torch

from distscale.io import read_lm_eval, read_lm_eval_samples
from distscale.train.lm import AgreementTask, SyntheticLanguage, reinitialize
from distscale.train.lm.harness import (
    run_harness,
    save_model,
    tiny_causal_lm,
    train_tokenizer,
    write_choice_task,
)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    root = Path(argv[0]) if argv else Path(tempfile.mkdtemp(prefix="lm-harness-"))
    torch.set_num_threads(1)
    lang = SyntheticLanguage()
    tok = train_tokenizer(lang.documents(200, rng=0))
    tasks = root / "tasks"
    write_choice_task(tasks, AgreementTask(language=lang).items(50, rng=1), name="agreement")
    out = root / "results"
    for width in (16, 32):
        base = tiny_causal_lm("gpt2", vocab_size=len(tok), width=width, layers=2, heads=2, seed=7)
        for seed in (0, 1, 2):
            model = reinitialize(copy.deepcopy(base), layers=1, seed=seed)
            folder = save_model(model, tok, root / "models" / f"tiny-w{width}-seed{seed}")
            run_harness(folder, ["agreement"], output_path=out, include_path=tasks,
                        include_defaults=False)

    runs = read_lm_eval(out, scale="model_num_parameters", seed=r"seed([0-9]+)", metrics=None)
    samples = read_lm_eval_samples(out, scale="model_num_parameters", seed=r"seed([0-9]+)")
    print(runs[["scale", "seed", "metric", "value", "n_samples"]].to_string(index=False))
    checked = 0
    for path in sorted(out.rglob("results_*.json")):
        doc = json.loads(path.read_text())
        for metric in ("acc", "acc_norm"):
            value = doc["results"]["agreement"][f"{metric},none"]
            row = runs[(runs["path"] == path.as_posix()) & (runs["metric"] == metric)]
            assert row["value"].item() == value
            mine = samples[samples["path"].str.startswith(path.parent.as_posix())][metric]
            assert abs(mine.mean() - value) < 1e-12
            checked += 1
    print(f"\n{checked} aggregates equal the harness's own (results files and per-sample means); "
          f"files under {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
