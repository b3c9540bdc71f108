"""lm-evaluation-harness itself writes the files; our readers must give back its numbers.

Reference: lm-evaluation-harness (tested with 0.4.13), run through its Python
API (``simple_evaluate`` + ``EvaluationTracker``, the code path of
``lm_eval --output_path OUT --log_samples``) on local GPT-2 models of two
sizes x two seeds (a base model whose last block and head are re-initialised
per seed, as in an LM population) and four local tasks: multiple choice with
index targets, multiple choice whose target is the answer *text* among digit
choices, a ``loglikelihood`` task (per-document ``perplexity``) and a
``loglikelihood_rolling`` task (``word_perplexity``, ``byte_perplexity``,
``bits_per_byte``). Every value we read is checked against the harness's own
results file (its aggregates) or its own per-document fields.
"""

from __future__ import annotations

import copy
import json
import math

import numpy as np
import pytest

pytest.importorskip("transformers")
lm_eval = pytest.importorskip("lm_eval")

from distscale.io import read_lm_eval, read_lm_eval_samples  # noqa: E402
from distscale.train.lm import AgreementTask, ChoiceItem, SyntheticLanguage  # noqa: E402
from distscale.train.lm.harness import (  # noqa: E402
    run_harness,
    save_model,
    tiny_causal_lm,
    train_tokenizer,
    write_choice_task,
)
from distscale.train.lm.mix import score_choices  # noqa: E402
from distscale.train.lm.models import Members, reinitialize  # noqa: E402

TASKS = ["agree", "digits", "nextword", "rolling"]


def _digit_items(n: int, rng: np.random.Generator) -> list[ChoiceItem]:
    out = []
    for _ in range(n):
        digits = rng.choice(10, size=4, replace=False)
        gold = int(rng.integers(4))
        out.append(ChoiceItem("the cat near the dogs", tuple(f" {d}" for d in digits), gold))
    return out


def _write_yaml(folder, name, lines):
    (folder / f"{name}.yaml").write_text("\n".join([f"task: {name}", *lines, ""]))


@pytest.fixture(scope="module")
def harness_run(tmp_path_factory):
    import torch

    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("harness")
    lang = SyntheticLanguage()
    general = lang.documents(60, rng=0)
    tok = train_tokenizer([*general, " ".join(str(d) for d in range(10))])
    tasks = root / "tasks"
    write_choice_task(tasks, AgreementTask(language=lang).items(16, rng=1), name="agree")
    rng = np.random.default_rng(2)
    digit_items = _digit_items(24, rng)
    write_choice_task(tasks, digit_items, name="digits", target="text")
    data = tasks / "words.jsonl"
    docs = [{"context": " ".join(d.split()[:5]), "word": d.split()[5], "text": d}
            for d in general[:12]]
    data.write_text("".join(json.dumps(d) + "\n" for d in docs))
    common = ["dataset_path: json", "dataset_kwargs:", "  data_files:",
              f"    test: {json.dumps(data.as_posix())}", "test_split: test"]
    _write_yaml(tasks, "nextword", [*common, "output_type: loglikelihood",
                                    'doc_to_text: "{{context}}"', 'doc_to_target: " {{word}}"',
                                    "metric_list:", "  - metric: perplexity",
                                    "    aggregation: perplexity", "    higher_is_better: false",
                                    "  - metric: acc", "    aggregation: mean",
                                    "    higher_is_better: true", "metadata:", "  version: 1.0"])
    _write_yaml(tasks, "rolling", [*common, "output_type: loglikelihood_rolling",
                                   'doc_to_text: ""', 'doc_to_target: "{{text}}"',
                                   "metric_list:", "  - metric: word_perplexity",
                                   "  - metric: byte_perplexity", "  - metric: bits_per_byte",
                                   "metadata:", "  version: 1.0"])
    models, counts = {}, {}
    for width in (16, 32):
        base = tiny_causal_lm("gpt2", vocab_size=len(tok), width=width, layers=2, heads=2, seed=7)
        for seed in (0, 1):
            model = reinitialize(copy.deepcopy(base), layers=1, seed=seed)
            n = sum(p.numel() for p in model.parameters())
            folder = save_model(model, tok, root / "models" / f"tiny-w{width}-seed{seed}")
            models[(width, seed)] = folder
            counts[(width, seed)] = n
    out = root / "out"
    results = {key: run_harness(folder, TASKS, output_path=out, include_path=tasks,
                                      include_defaults=False)
               for key, folder in models.items()}
    return {"root": root, "out": out, "tok": tok, "models": models, "counts": counts,
            "results": results, "tasks": tasks, "digit_items": digit_items}


def _results_files(out):
    return sorted(out.rglob("results_*.json"))


def test_aggregates_equal_the_harness_results(harness_run):
    out = harness_run["out"]
    df = read_lm_eval(out, scale="model_num_parameters", seed=r"seed([0-9]+)", metrics=None)
    # the scale is the harness's own parameter count, equal to the model's
    counts = harness_run["counts"]
    assert sorted(set(df["scale"])) == sorted({float(n) for n in counts.values()})
    for path in _results_files(out):
        doc = json.loads(path.read_text())
        for task, entry in doc["results"].items():
            for key, value in entry.items():
                if "," not in key or "_stderr" in key:
                    continue
                metric, _, filt = key.partition(",")
                row = df[(df["path"] == path.as_posix()) & (df["task"] == task)
                         & (df["metric"] == metric) & (df["filter"] == filt)]
                assert len(row) == 1 and row["value"].iloc[0] == value
                assert row["n_samples"].iloc[0] == doc["n-samples"][task]["effective"]
                hib = doc["higher_is_better"][task][metric]
                assert bool(row["higher_is_better"].iloc[0]) is hib
    assert df.attrs["higher_is_better"] == {"acc": True, "acc_norm": True, "perplexity": False,
                                            "word_perplexity": False, "byte_perplexity": False,
                                            "bits_per_byte": False}


def test_samples_rebuild_every_aggregate(harness_run):
    out = harness_run["out"]
    samples = read_lm_eval_samples(out, scale="model_num_parameters", seed=r"seed([0-9]+)")
    results = read_lm_eval(out, scale="model_num_parameters", seed=r"seed([0-9]+)", metrics=None)
    checked = 0
    for (task, scale, seed), rows in samples.groupby(["task", "scale", "seed"]):
        res = results[(results["task"] == task) & (results["scale"] == scale)
                      & (results["seed"] == seed)].set_index("metric")["value"]
        if task in ("agree", "digits"):
            for metric in ("acc", "acc_norm"):
                assert rows[metric].mean() == pytest.approx(res[metric], rel=1e-12)
        elif task == "nextword":  # harness: exp(-mean(ll)); ours: per-document exp(-ll)
            assert math.exp(np.log(rows["perplexity"]).mean()) == pytest.approx(
                res["perplexity"], rel=1e-9)
            assert rows["acc"].mean() == pytest.approx(res["acc"], rel=1e-12)
        else:  # weighted by words / bytes
            for metric in ("word_perplexity", "byte_perplexity"):
                units = rows[f"{metric}_units"]
                assert math.exp((units * np.log(rows[metric])).sum() / units.sum()) == \
                    pytest.approx(res[metric], rel=1e-9)
            units = rows["bits_per_byte_units"]
            assert (units * rows["bits_per_byte"]).sum() / units.sum() == pytest.approx(
                res["bits_per_byte"], rel=1e-9)
        checked += 1
    assert checked == 4 * len(TASKS)


def test_correct_option_acc_norm_and_doc_from_samples(harness_run):
    samples = read_lm_eval_samples(harness_run["out"], scale="model_num_parameters",
                                   seed=r"seed([0-9]+)", tasks=["agree", "digits"])
    # the gold index as the harness itself used it: the doc's own "gold" field
    gold = samples["doc"].map(lambda d: d["gold"])
    assert (samples["correct"] == gold).all()
    digits = samples[samples["task"] == "digits"]
    naive = digits["target"].astype(int)  # the old reading: the text "3" as option index 3
    assert (naive != digits["correct"]).sum() > 0
    # acc and acc_norm recomputed from option log-likelihoods and option lengths
    for _, row in samples.iterrows():
        ll = np.asarray(row["option_logliks"])
        lengths = np.array([len(o.lstrip(" ")) for o in row["options"]], dtype=float)
        assert row["acc"] == float(ll.argmax() == row["correct"])
        assert row["acc_norm"] == float((ll / lengths).argmax() == row["correct"])


def test_our_option_logliks_equal_the_harness(harness_run):
    """score_choices (ours) vs the harness's loglikelihoods of the same model and items."""
    from transformers import AutoModelForCausalLM

    folder = harness_run["models"][(32, 1)]
    model = AutoModelForCausalLM.from_pretrained(folder, local_files_only=True).eval()
    samples = read_lm_eval_samples(harness_run["out"], scale="model_num_parameters",
                                   seed=r"seed([0-9]+)", tasks=["digits"])
    count = harness_run["counts"][(32, 1)]
    rows = samples[(samples["scale"] == count) & (samples["seed"] == 1)]
    items = harness_run["digit_items"]
    ours = score_choices(Members("hf", [model], [1]), items, tokenizer=harness_run["tok"])
    theirs = np.stack(rows.sort_values("sample_id")["option_logliks"].tolist())
    np.testing.assert_allclose(np.stack(ours["logliks"])[:, 0, :], theirs, atol=1e-4)
    np.testing.assert_array_equal(ours["acc"][0], rows.sort_values("sample_id")["acc"])
    np.testing.assert_array_equal(ours["acc_norm"][0], rows.sort_values("sample_id")["acc_norm"])


def test_a_rerun_into_the_same_folder(harness_run):
    out = harness_run["out"]
    folder = harness_run["models"][(16, 0)]
    run_harness(folder, ["agree"], output_path=out, include_path=harness_run["tasks"], limit=5,
                include_defaults=False)
    df = read_lm_eval(out, scale="model_num_parameters", seed=r"seed([0-9]+)",
                      tasks=["agree"])
    count = float(harness_run["counts"][(16, 0)])
    twice = df[(df["scale"] == count) & (df["seed"] == 0)]
    assert sorted(twice["n_samples"]) == [5, 16] and twice["date"].nunique() == 2
    assert sorted(twice["limit"].fillna(-1)) == [-1, 5.0]
    latest = read_lm_eval(out, scale="model_num_parameters", seed=r"seed([0-9]+)",
                          tasks=["agree"], keep="latest")
    assert len(latest) == 4 and sorted(latest["n_samples"]) == [5, 16, 16, 16]
    with pytest.raises(ValueError, match=r"same folder.*keep='latest'"):
        read_lm_eval_samples(out, scale="model_num_parameters", seed=r"seed([0-9]+)",
                             tasks=["agree"])
    rows = read_lm_eval_samples(out, scale="model_num_parameters", seed=r"seed([0-9]+)",
                                tasks=["agree"], keep="latest")
    assert len(rows) == 5 + 3 * 16


def test_a_flat_output_folder_and_model_args(harness_run, tmp_path):
    flat = tmp_path / "flat" / "run.json"
    for seed in (0, 1):
        run_harness(harness_run["models"][(32, seed)], ["agree"], output_path=flat,
                    include_path=harness_run["tasks"], include_defaults=False)
    names = sorted(p.name for p in flat.parent.iterdir())
    assert all(n.startswith(("run_", "samples_agree_")) for n in names) and len(names) == 4
    # the path says nothing of the model: match in model_args instead
    with pytest.raises(ValueError, match="does not match the path"):
        read_lm_eval_samples(flat.parent, scale=r"-w([0-9]+)-", seed=r"seed([0-9]+)")
    df = read_lm_eval_samples(flat.parent, scale=r"-w([0-9]+)-", seed=r"seed([0-9]+)",
                              match_on="model_args")
    assert sorted(set(zip(df["scale"], df["seed"], strict=True))) == [(32.0, 0), (32.0, 1)]
    res = read_lm_eval(flat.parent, scale="model_num_parameters", seed=r"seed([0-9]+)",
                       match_on="model_args")
    assert set(res["scale"]) == {float(harness_run["counts"][(32, 0)])}
