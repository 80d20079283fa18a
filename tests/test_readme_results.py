"""The README's result tables (rsclip_utils.readme_results): written from a run's metrics, on a
hand-made case, and the README carries the block they replace."""

from pathlib import Path

import pytest

from rsclip_utils.readme_results import END, START, main, replace_block, results_block

README = Path(__file__).resolve().parents[1] / "README.md"


def _metrics():
    scene = {"zero_shot": {"top1": 0.5, "chance": 0.1}, "linear_probe": {"accuracy": 0.625},
             "knn": {"accuracy": 0.25}}
    model = {"retrieval": {"ret": {"i2t_R@1": 10.0, "i2t_R@5": 20.04, "i2t_R@10": 30.0,
                                   "t2i_R@1": 5.0, "t2i_R@5": 15.0, "t2i_R@10": 25.0,
                                   "mR": 17.5, "ambiguous_captions": 0}},
             "scenes": {"synth_eurosat": scene}, "scene_average": {"zero_shot_top1": 0.5}}
    return {"profile": "default", "models": {"base": model},
            "ablation": {"RET": {"pairs": 1630, "seeds": 3, "retrieval_mR_mean": 38.56,
                                 "retrieval_mR_std": 0.61}}}


def test_the_tables_by_hand():
    block = results_block(_metrics(), {"ret": (2, 10)})
    lines = block.splitlines()
    assert lines[0].startswith("| retrieval (ret test: 2 images, 10 captions, each caption")
    assert "| base | 10.0 | 20.0 | 30.0 | 5.0 | 15.0 | 25.0 | 17.5 |" in lines
    assert "| zero-shot top-1 (test splits) | EuroSAT-like (10 classes) | average |" in lines
    assert "| base | 50.0 | 50.0 |" in lines and "| chance | 10.0 |  |" in lines
    assert "| base | 62.5 / 25.0 |" in lines
    assert "| RET | 1,630 | 38.6 ± 0.6 | - | - |" in lines
    assert lines[-1].startswith("| RET |")


def test_the_block_is_replaced_between_its_markers_and_refused_without_them():
    text = f"before\n{START}\nold\n{END}\nafter\n"
    assert replace_block(text, "new") == f"before\n{START}\nnew\n{END}\nafter\n"
    with pytest.raises(ValueError, match="no results block"):
        replace_block("no markers here", "new")
    readme = README.read_text()
    assert readme.count(START) == 1 and readme.count(END) == 1


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
    assert "first at: stale" in capsys.readouterr().err
    assert main([str(run), "--readme", str(readme)]) == 0
    assert main([str(run), "--readme", str(readme), "--check"]) == 0
