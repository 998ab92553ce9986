import json

from kernelgepa.cli import main


def test_index_build_add_query(tmp_path, capsys):
    d = str(tmp_path / "idx")
    assert main(["index", "build", "--index-dir", d]) == 0
    assert "sections" in capsys.readouterr().out
    doc = tmp_path / "guide.html"
    doc.write_text("<h1>Frobnicator tiling</h1><p>frobnicate with 48-wide tiles</p>")
    assert main(["index", "add", str(doc), "--index-dir", d]) == 0
    capsys.readouterr()
    assert main(["index", "query", "frobnicate tiles", "-k", "2", "--json", "--index-dir", d]) == 0
    hits = json.loads(capsys.readouterr().out)
    assert hits[0]["title"] == "Frobnicator tiling" and hits[0]["source"].endswith("guide.html") and hits[0]["score"] > 0
    assert main(["index", "query", "__shfl_down_sync", "--backend", "cuda", "--index-dir", d]) == 0
    out = capsys.readouterr().out
    assert "shfl" in out and "score" in out


def test_bad_input_is_one_line(tmp_path, capsys):
    d = str(tmp_path / "idx")
    for argv in (["index", "add", str(tmp_path / "missing.md"), "--index-dir", d],
                 ["index", "query", "x", "-k", "0", "--index-dir", d],
                 ["index", "query", "x", "--backend", "fpga", "--index-dir", d]):
        assert main(argv) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("kernelgepa: error:")
