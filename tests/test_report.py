"""report.md (rsclip_utils.report)."""



def test_report_renders_the_same_blocks_as_markdown_and_html(tmp_path):
    from PIL import Image

    from rsclip_utils.report import render_html, render_markdown

    (tmp_path / "figures").mkdir()
    Image.new("RGB", (4, 4), (255, 0, 0)).save(tmp_path / "figures" / "a_plot.png")
    blocks = [("h1", "Run `x`"), ("p", "**bold** <tag> & more"),
              ("table", ["a", "b"], [(1, "x|y"), ("<z>", 2.5)]),
              ("img", tmp_path / "figures" / "a_plot.png", "a plot")]
    md = render_markdown(blocks, tmp_path)
    assert md.splitlines()[0] == "# Run `x`" and "| 1 | x\\|y |" in md
    assert "![a plot](figures/a_plot.png)" in md
    page = render_html(blocks)
    assert "<h1>Run <code>x</code></h1>" in page
    assert "<strong>bold</strong> &lt;tag&gt; &amp; more" in page
    assert "<td>&lt;z&gt;</td><td>2.5</td>" in page
    import base64

    png = (tmp_path / "figures" / "a_plot.png").read_bytes()
    assert base64.b64encode(png).decode() in page


def test_similarity_maps_get_their_table():
    from rsclip_utils.report import similarity_blocks

    assert similarity_blocks({}) == []
    metrics = {"similarity_maps": {"prompt": "a {class}", "note": "Real samples: never trained on.",
                                   "summary": {
                                       "Potsdam (real)": {"base": {"mean_auroc": 0.41, "pairs": 4,
                                                                   "above_half": 1},
                                                          "continual": {"mean_auroc": 0.62,
                                                                        "pairs": 4,
                                                                        "above_half": 3}},
                                       "embedded SEG": {"continual": {"mean_auroc": 0.7,
                                                                      "pairs": 9,
                                                                      "above_half": 7}}}}}
    blocks = similarity_blocks(metrics)
    assert blocks[0] == ("h3", "Similarity maps (section IV-D, Fig. 10)")
    text = blocks[1][1]
    assert '"a {class}" for a class' in text and "below 0.5" in text
    assert text.endswith("never trained on.")
    kind, header, rows = blocks[2]
    assert header == ["source", "base", "continual"]
    assert rows == [("Potsdam (real)", "0.41 (1 of 4 above 0.5)", "0.62 (3 of 4 above 0.5)"),
                    ("embedded SEG", "-", "0.70 (7 of 9 above 0.5)")]
