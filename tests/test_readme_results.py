"""The README's result tables (rsclip_utils.readme_results): written from a run's metrics, on a
hand-made case, and the README carries the block they replace."""

from pathlib import Path

import pytest
from helpers.ablation import rows_info

from rsclip_utils.budget import summarise
from rsclip_utils.readme_results import (
    CROSS_CPU_TOLERANCE,
    END,
    LONG_START,
    MACHINE_LINE,
    START,
    _numbers,
    block_differences,
    block_machine,
    long_block,
    main,
    replace_block,
    results_block,
)
from rsclip_utils.report import numeric_kind

README = Path(__file__).resolve().parents[1] / "README.md"


def _metrics():
    scene = {"zero_shot": {"top1": 0.5, "chance": 0.1}, "linear_probe": {"accuracy": 0.625},
             "knn": {"accuracy": 0.25}}
    model = {"retrieval": {"ret": {"i2t_R@1": 10.0, "i2t_R@5": 20.04, "i2t_R@10": 30.0,
                                   "t2i_R@1": 5.0, "t2i_R@5": 15.0, "t2i_R@10": 25.0,
                                   "mR": 17.5, "ambiguous_captions": 0}},
             "retrieval_protocols": {"ret": {"remoteclip": {"mR": 17.5},
                                             "farslip": {"mR": 12.25}}},
             "scenes": {"synth_eurosat": scene}, "scene_average": {"zero_shot_top1": 0.5}}
    scores = {(row, seed, s): {"val_mR": 30.0 + seed + k, "retrieval_mR": 38.0 + seed + k,
                               "zero_shot_top1": 20.0, "counting_top1": None}
              for row in rows_info() for seed in (0, 1) for k, s in enumerate((19, 38))}
    ablation = summarise(scores, rows_info(), [19, 38], [1, 2], [0, 1], batch_size=32)
    claims = [{"claim": "adding X helps", "paper": "-", "here": "-", "verdict": "reproduced",
               "budget": "38 steps"},
              {"claim": "a model claim", "paper": "-", "here": "-", "verdict": "reproduced",
               "budget": "-"}]
    return {"profile": "default", "models": {"base": model}, "ablation": ablation,
            "claims": claims, "retrieval_protocols": {"remoteclip": {"name": "paper's"},
                                                      "farslip": {"name": "FarSLIP's"}}}


def test_the_tables_by_hand():
    block = results_block(_metrics(), {"ret": (2, 10)})
    lines = block.splitlines()
    assert lines[0].startswith("| retrieval, the paper's protocol (ret test: 2 images, "
                               "10 captions, each caption one image's")
    assert "| base | 10.0 | 20.0 | 30.0 | 5.0 | 15.0 | 25.0 | 17.5 |" in lines
    assert "| retrieval mR (ret) under each published protocol | paper's | FarSLIP's |" in lines
    assert "| base | 17.5 | 12.2 |" in lines
    assert "| zero-shot top-1 (test splits) | EuroSAT-like (10 classes) | average |" in lines
    assert "| base | 50.0 | 50.0 |" in lines and "| chance | 10.0 |  |" in lines
    assert "| base | 62.5 / 25.0 |" in lines
    # the study: seeds 0 and 1 score 38 and 39 at the first budget, 39 and 40 at the second
    assert lines.index("| RET | 38.5 ± 0.7 | 39.5 ± 0.7 |") < lines.index(
        "| RET | 20.0 ± 0.0 | 20.0 ± 0.0 |")  # retrieval, then zero-shot
    assert any(line.startswith("| data ablation (Table V), retrieval mR, 2 seeds, from the base;"
                               " columns: budget, RET-only's passes over RET (steps of 32)")
               and line.endswith("| 1 (19) | 2 (38) |") for line in lines)
    # validation 30.5 -> 31.5 is a gain of one point: not below it, so not saturated
    assert "| passes at 38 steps (RET-only not saturated by 2 passes) | pairs | over RET | " \
           "over its data |" in lines
    assert "| RET + DET + SEG | 8,000 | 0.2 | 0.2 |" in lines  # 38 x 32 / 8000
    assert "| RET + DET + SEG, RET matched | 8,000 | 2.0 | 0.3 |" in lines  # 38 x 64 / 8000
    assert lines[-1] == "| a model claim | reproduced | - |"


def test_the_long_block_holds_the_study_and_the_ablation_claims():
    metrics = {**_metrics(), "profile": "long"}
    block = long_block(metrics).splitlines()
    assert block[0].startswith("| data ablation (Table V), retrieval mR")
    assert "| adding X helps | reproduced | 38 steps |" in block
    assert not any("a model claim" in line for line in block)
    text = f"a\n{START}\nd\n{END}\nb\n{LONG_START}\nl\n{END}\nc\n"
    want = f"a\n{START}\nd\n{END}\nb\n{LONG_START}\nL\n{END}\nc\n"
    assert replace_block(text, "L", LONG_START) == want


def test_the_block_is_replaced_between_its_markers_and_refused_without_them():
    text = f"before\n{START}\nold\n{END}\nafter\n"
    assert replace_block(text, "new") == f"before\n{START}\nnew\n{END}\nafter\n"
    with pytest.raises(ValueError, match="no results block"):
        replace_block("no markers here", "new")
    readme = README.read_text()
    assert readme.count(START) == readme.count(LONG_START) == 1 and readme.count(END) == 2


def test_check_reports_a_stale_readme_and_a_missing_run(tmp_path, capsys):
    import json

    run = tmp_path / "run"
    (run / "numbers").mkdir(parents=True)
    assert main([str(run), "--readme", str(tmp_path / "README.md")]) == 2
    (run / "metrics.json").write_text(json.dumps(_metrics()))
    (run / "numbers" / "06_evaluation.json").write_text(json.dumps({"retrieval_sizes":
                                                                    {"ret": [2, 10]}}))
    readme = tmp_path / "README.md"
    readme.write_text(f"# x\n{START}\nstale\n{END}\n")
    assert main([str(run), "--readme", str(readme), "--check"]) == 1
    assert "README: stale" in capsys.readouterr().err
    assert main([str(run), "--readme", str(readme)]) == 0
    assert main([str(run), "--readme", str(readme), "--check"]) == 0
    # a run folder that names its machine: the block says it, and the check on that kind of
    # machine is exact, on another within CROSS_CPU_TOLERANCE points
    machine = {"cpu": "Some CPU", "vendor": "GenuineIntel", "torch_cpu_kernels": "AVX512"}
    (run / "machine.json").write_text(json.dumps(machine))
    assert main([str(run), "--readme", str(readme)]) == 0
    lines = readme.read_text().splitlines()
    assert lines[2] == f"{MACHINE_LINE}{numeric_kind(machine)}."
    k = next(i for i, line in enumerate(lines) if line.startswith("| base"))
    first = _numbers(lines[k])[0]
    capsys.readouterr()
    for kind, shift, verdict in (("same", 0.1, 1), ("other", 0.1, 0),
                                 ("other", CROSS_CPU_TOLERANCE + 0.1, 1)):
        moved = lines[k].replace(f"{first:.1f}", f"{first + shift:.1f}", 1)
        head = lines[2] if kind == "same" else f"{MACHINE_LINE}Another CPU, AuthenticAMD."
        readme.write_text("\n".join(lines[:2] + [head] + lines[3:k] + [moved] + lines[k + 1:])
                          + "\n")
        assert main([str(run), "--readme", str(readme), "--check"]) == verdict, (kind, shift)
        said = capsys.readouterr()
        assert ("README: " + moved in said.err) if verdict else ("within" in said.out)


def test_another_machine_gets_a_tolerance_and_its_verdicts_listed():
    block = "\n".join([f"{MACHINE_LINE}A.", "", "| retrieval | mR |", "|---|---|",
                       "| base | 17.3 |", "| 1,431 images | 44.5 / 26.6 |", "",
                       "| claim | verdict |", "| adding DET helps | reproduced |"])
    assert block_differences(block, block) == ([], [])
    assert block_machine(block) == "A"
    nearby = block.replace("17.3", "19.9").replace("44.5", "41.6")
    assert block_differences(block, nearby, same_kind=False) == ([], [])
    assert len(block_differences(block, nearby, same_kind=True)[0]) == 2  # exact on one kind
    assert len(block_differences(block, block.replace("26.6", "29.7"), False)[0]) == 1
    flipped = block.replace("| reproduced |", "| within the 1-point margin |")
    differences, verdicts = block_differences(block, flipped, same_kind=False)
    assert differences == [] and len(verdicts) == 1 and "within the 1-point" in verdicts[0]
    assert block_differences(block, block.replace(f"{MACHINE_LINE}A.", f"{MACHINE_LINE}B."),
                             True) == ([], [])  # the machine line is not compared
    tables = block.split("\n", 2)[2]
    assert block_differences(tables, block) == ([], [])  # nor its absence from an older block
    assert block_differences(block, block + "\n| more | 1.0 |", False)[0]
