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
